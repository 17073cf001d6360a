package io.headprune.model;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import com.sun.management.OperatingSystemMXBean;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory a model may take in this process, and what it decides: every layer resident, or layers
 * streamed one at a time from the checkpoint's files ({@link HeadModel#streaming}), or a refusal
 * naming the figures when even streaming cannot fit.
 *
 * <p>Set by {@code headprune.memory.budget} (service setting, {@code -D} system property or the
 * CLI's {@code --memory-budget}: bytes, or a number with KB, MB, GB or TB, 1024-based); by default
 * the container's memory limit or the machine's RAM, less a tenth (at least 1 GiB) and less the
 * JVM's largest heap, which tensors do not use.
 *
 * @param bytes what the model's tensors may take
 * @param working what a streamed pass keeps besides weights — activations, each layer's saved
 *     input, gradients — reserved out of {@code bytes} ({@code headprune.memory.working}, default 2
 *     GiB: 16 texts of 128 tokens through a 7 B shape take about 1 GiB)
 */
public record MemoryBudget(long bytes, long working) {

  /** A budget with the default working reserve. */
  public MemoryBudget(long bytes) {
    this(bytes, workingReserve());
  }

  /** The setting's name. */
  public static final String PROPERTY = "headprune.memory.budget";

  /**
   * Peak over float32 weights when every layer is resident: the activations and the backward's
   * graph of a scoring batch (measured: 5.9 GB for a 1.1 B Llama's 4.4 GB of float32 weights).
   */
  static final double RESIDENT_OVERHEAD = 1.35;

  /** The working reserve's setting. */
  public static final String WORKING_PROPERTY = "headprune.memory.working";

  /** The default working reserve of a streamed pass. */
  static final long STREAMED_WORKING_BYTES = 2L << 30;

  private static volatile Long configuredWorking;

  private static final Pattern LAYER =
      Pattern.compile("(?:^|\\.)(?:layers|layer|h|blocks)\\.(\\d+)\\.");

  /** The setting that overrides the budget's choice. */
  public static final String STREAM_PROPERTY = "headprune.memory.stream";

  private static volatile MemoryBudget configured;

  private static volatile Stream configuredStream;

  /** Whether layers stream: as the budget decides, or always (where the family can), or never. */
  public enum Stream {
    /** Resident when the model fits, streamed when only that fits. */
    AUTO,
    /** Streamed whenever the family streams (a model smaller than its working memory too). */
    ALWAYS,
    /** Resident whatever the budget says. */
    NEVER;

    /** Parses {@code auto}, {@code always} or {@code never}. */
    public static Stream parse(String text) {
      for (Stream stream : values()) {
        if (stream.name().equalsIgnoreCase(text.trim())) {
          return stream;
        }
      }
      throw new InvalidInputException(
          STREAM_PROPERTY + " '" + text + "' is not one of auto, always, never");
    }
  }

  /** What a model needs: resident, or streamed. */
  public enum Residency {
    /** Every layer's weights widened to float32 and held for the model's life. */
    RESIDENT,
    /** Each layer read from the files and widened when it runs, then freed. */
    STREAMED
  }

  /**
   * A checkpoint's weights by where they sit.
   *
   * @param parameters every tensor's elements
   * @param largestLayer the elements of the largest transformer layer
   * @param outsideLayers the elements outside the layers (embeddings, final norm, head)
   */
  public record Footprint(long parameters, long largestLayer, long outsideLayers) {

    /** Counts {@code checkpoint}'s tensors by layer (names with {@code layers.N.} and the like). */
    public static Footprint of(Checkpoint checkpoint) {
      Map<Integer, Long> layers = new HashMap<>();
      long total = 0;
      long outside = 0;
      for (TensorInfo info : checkpoint.tensors().values()) {
        long elements = info.elements();
        total += elements;
        Matcher matcher = LAYER.matcher(info.name());
        if (matcher.find()) {
          layers.merge(Integer.parseInt(matcher.group(1)), elements, Long::sum);
        } else {
          outside += elements;
        }
      }
      long largest = layers.values().stream().mapToLong(Long::longValue).max().orElse(0);
      return new Footprint(total, largest, outside);
    }

    /** Bytes at peak with every layer resident in float32. */
    public long resident() {
      return residentBytes(parameters);
    }

    /** Bytes of float32 weights at once with layers streamed: those outside them, two layers. */
    public long streamed() {
      return 4 * (outsideLayers + 2 * largestLayer);
    }
  }

  /**
   * A checkpoint's resident bytes by module, in the order the forward pass runs them (what a {@link
   * Placement} divides among devices): float32 with the resident overhead.
   *
   * @param embeddings the tensors named {@code …embed…} outside the layers
   * @param layers per layer, its tensors
   * @param head the other tensors outside the layers (final norm, LM head) — the embeddings again
   *     when there is no {@code lm_head} (tied: a copy when the head sits on another device)
   */
  public record Modules(long embeddings, long[] layers, long head) {

    /** Counts {@code checkpoint}'s tensors by module; {@code count} is the number of layers. */
    public static Modules of(Checkpoint checkpoint, int count) {
      long[] layers = new long[count];
      long embeddings = 0;
      long head = 0;
      boolean lmHead = false;
      for (TensorInfo info : checkpoint.tensors().values()) {
        long bytes = residentBytes(info.elements());
        Matcher matcher = LAYER.matcher(info.name());
        if (matcher.find() && Integer.parseInt(matcher.group(1)) < count) {
          layers[Integer.parseInt(matcher.group(1))] += bytes;
        } else if (info.name().contains("embed")) {
          embeddings += bytes;
        } else {
          head += bytes;
          lmHead |= info.name().contains("lm_head");
        }
      }
      return new Modules(embeddings, layers, lmHead ? head : head + embeddings);
    }
  }

  /** Bytes at peak of {@code elements} resident in float32. */
  static long residentBytes(long elements) {
    return (long) (4.0 * elements * RESIDENT_OVERHEAD);
  }

  /**
   * Each device's budget: a GPU's own ({@link #on}); CPU entries share this process's budget in
   * equal parts (they are one memory).
   */
  public static long[] capacities(List<Device> devices) {
    long cpus = devices.stream().filter(d -> !d.isGpu()).count();
    return devices.stream()
        .mapToLong(d -> d.isGpu() ? on(d).bytes() : current().bytes() / cpus)
        .toArray();
  }

  /** The budget this process runs with. */
  public static MemoryBudget current() {
    MemoryBudget set = configured;
    if (set != null) {
      return set;
    }
    String property = System.getProperty(PROPERTY, "");
    return property.isBlank() ? machine() : new MemoryBudget(parse(property));
  }

  /** Sets the process's budget from a setting's text; blank restores the machine's default. */
  public static void configure(String text) {
    configured = text == null || text.isBlank() ? null : new MemoryBudget(parse(text));
  }

  /** Sets the working reserve of a streamed pass; blank restores the default. */
  public static void configureWorking(String text) {
    configuredWorking = text == null || text.isBlank() ? null : parse(text);
  }

  /** The working reserve of a streamed pass in this process. */
  static long workingReserve() {
    Long set = configuredWorking;
    if (set != null) {
      return set;
    }
    String property = System.getProperty(WORKING_PROPERTY, "");
    return property.isBlank() ? STREAMED_WORKING_BYTES : parse(property);
  }

  /**
   * The budget on {@code device}: the process's when set; on a GPU otherwise the device's memory
   * less a tenth (DJL's {@code CudaUtils.getGpuMemory}), since weights and activations live there.
   */
  public static MemoryBudget on(Device device) {
    if (configured != null || !System.getProperty(PROPERTY, "").isBlank() || !device.isGpu()) {
      return current();
    }
    long total = CudaUtils.getGpuMemory(device).getMax();
    return new MemoryBudget(total - total / 10);
  }

  /** Whether layers stream in this process ({@code headprune.memory.stream}, default auto). */
  public static Stream stream() {
    Stream set = configuredStream;
    if (set != null) {
      return set;
    }
    String property = System.getProperty(STREAM_PROPERTY, "");
    return property.isBlank() ? Stream.AUTO : Stream.parse(property);
  }

  /** Sets whether layers stream; blank restores auto. */
  public static void configureStream(String text) {
    configuredStream = text == null || text.isBlank() ? null : Stream.parse(text);
  }

  /** The default: the memory limit (container or RAM), less a tenth and the JVM's largest heap. */
  public static MemoryBudget machine() {
    long total = Math.min(physicalMemory(), cgroupLimit());
    long margin = Math.max(1L << 30, total / 10);
    return new MemoryBudget(Math.max(0, total - margin - Runtime.getRuntime().maxMemory()));
  }

  /**
   * Resident when the model fits with every layer resident; streamed when only that fits (and the
   * family streams); otherwise refused with the figures.
   */
  public Residency residency(Footprint footprint, boolean canStream) {
    if (footprint.resident() <= bytes) {
      return Residency.RESIDENT;
    }
    if (canStream && footprint.streamed() + working <= bytes) {
      return Residency.STREAMED;
    }
    throw new InvalidInputException(
        "the model needs about "
            + gigabytes(footprint.resident())
            + " with every layer resident"
            + (canStream
                ? " and "
                    + gigabytes(footprint.streamed() + working)
                    + " with its layers streamed ("
                    + WORKING_PROPERTY
                    + " "
                    + gigabytes(working)
                    + " of it)"
                : " (its family does not stream)")
            + ", more than "
            + PROPERTY
            + " "
            + gigabytes(bytes)
            + " allows; raise "
            + PROPERTY
            + " or run it where more memory is");
  }

  /**
   * What a model with {@code footprint} takes when it runs within this budget: every layer resident
   * when that fits (or when its layers cannot or may not stream), else streamed with the working
   * reserve.
   */
  public long reservation(Footprint footprint, boolean canStream) {
    boolean streamed =
        canStream
            && stream() != Stream.NEVER
            && (stream() == Stream.ALWAYS || footprint.resident() > bytes);
    return streamed ? footprint.streamed() + working : footprint.resident();
  }

  /** {@code bytes} as GB with one decimal. */
  public static String gigabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
  }

  /** Bytes from {@code 123}, {@code 512MB}, {@code 20GB}, {@code 1.5TB} (1024-based). */
  static long parse(String text) {
    Matcher m =
        Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?B?)?")
            .matcher(text.trim().toUpperCase(Locale.ROOT));
    if (!m.matches()) {
      throw new InvalidInputException(
          PROPERTY + " '" + text + "' is not a size (bytes, or a number with KB, MB, GB or TB)");
    }
    String unit = m.group(2) == null ? "" : m.group(2).replace("B", "");
    int shift =
        switch (unit) {
          case "K" -> 10;
          case "M" -> 20;
          case "G" -> 30;
          case "T" -> 40;
          default -> 0;
        };
    return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
  }

  private static long physicalMemory() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      return os.getTotalMemorySize();
    }
    return Long.MAX_VALUE;
  }

  /** cgroup v2 memory.max or v1 memory.limit_in_bytes; unlimited when neither says otherwise. */
  private static long cgroupLimit() {
    for (String file :
        new String[] {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
      try {
        String text = Files.readString(Path.of(file)).trim();
        if (text.matches("\\d+")) {
          return Long.parseLong(text);
        }
      } catch (IOException | RuntimeException e) {
        // absent or unreadable: no limit from this file
      }
    }
    return Long.MAX_VALUE;
  }
}
