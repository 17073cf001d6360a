package io.headprune.jobs;

import ai.djl.Device;
import io.headprune.model.Devices;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/** The devices of this worker: one job at a time per device. */
final class WorkerDevices {

  private final List<Device> devices;
  private final BlockingQueue<Device> free;

  WorkerDevices(String names) {
    this.devices = Devices.parseList(names);
    this.free = new ArrayBlockingQueue<>(devices.size(), true, devices);
  }

  /** The configured devices. */
  List<Device> all() {
    return devices;
  }

  /** Waits for a free device. */
  Device acquire() throws InterruptedException {
    return free.take();
  }

  /** Returns a device to the pool. */
  void release(Device device) {
    free.add(device);
  }
}
