package io.headprune.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Devices by name, through DJL's device API: {@code auto}, {@code cpu}, {@code gpu0}, {@code gpu1},
 * ….
 */
public final class Devices {

  /** The DJL engine headprune runs on. */
  public static final String ENGINE = "PyTorch";

  private Devices() {}

  /**
   * Runs {@code load} with a new long-lived manager on {@code device}, closing the manager if
   * loading fails: what every family's loader does with the manager its weights live on.
   */
  static <T> T loading(Device device, Function<NDManager, T> load) {
    NDManager manager = NDManager.newBaseManager(device, ENGINE);
    try {
      return load.apply(manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The PyTorch engine (loads the native library on first use). */
  public static Engine engine() {
    return Engine.getEngine(ENGINE);
  }

  /**
   * Parses one device name; {@code auto} is the first GPU when there is one, else the CPU; names
   * joined by {@code +} ({@code gpu0+gpu1}) are one job's devices, its layers placed across them in
   * order ({@link Placement}).
   */
  public static Device parse(String name) {
    if (name.contains("+")) {
      List<Device> devices = new ArrayList<>();
      for (String part : name.split("\\+", -1)) {
        if (part.isBlank() || part.trim().equalsIgnoreCase("auto")) {
          throw new InvalidInputException(
              "device '" + name + "': join named devices with +, as in gpu0+gpu1");
        }
        devices.add(parse(part));
      }
      return new Device.MultiDevice(devices);
    }
    String text = name.trim().toLowerCase(Locale.ROOT);
    if (text.equals("auto")) {
      return engine().defaultDevice();
    }
    if (text.equals("cpu")) {
      return Device.cpu();
    }
    if (text.matches("gpu\\d+")) {
      int index = Integer.parseInt(text.substring(3));
      int available = engine().getGpuCount();
      if (index >= available) {
        throw new InvalidInputException(
            "device " + name + " requested but " + available + " GPU(s) are visible");
      }
      return Device.gpu(index);
    }
    throw new InvalidInputException(
        "device '" + name + "' is not one of auto, cpu, gpu0, gpu1, ...");
  }

  /** Parses a comma-separated list; {@code auto} is every GPU, or the CPU when there is none. */
  public static List<Device> parseList(String names) {
    if (names.trim().equalsIgnoreCase("auto")) {
      int gpus = engine().getGpuCount();
      List<Device> devices = new ArrayList<>();
      for (int i = 0; i < gpus; i++) {
        devices.add(Device.gpu(i));
      }
      return devices.isEmpty() ? List.of(Device.cpu()) : devices;
    }
    List<Device> devices = new ArrayList<>();
    for (String name : names.split(",")) {
      devices.add(parse(name));
    }
    return devices;
  }
}
