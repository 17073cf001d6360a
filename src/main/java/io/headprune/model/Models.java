package io.headprune.model;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ConfigValues;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The architectures headprune knows, and the entry points that dispatch on a config's model_type.
 */
public final class Models {

  /** Every supported family; adding one is one new file and one entry here. */
  public static final List<Architecture> ARCHITECTURES =
      List.of(
          Bert.ARCHITECTURE,
          Roberta.ARCHITECTURE,
          DistilBert.ARCHITECTURE,
          XlmRoberta.ARCHITECTURE,
          Electra.ARCHITECTURE,
          Vit.ARCHITECTURE,
          Gpt2.ARCHITECTURE,
          Llama.ARCHITECTURE,
          Mistral.ARCHITECTURE,
          Qwen2.ARCHITECTURE,
          Qwen3.ARCHITECTURE,
          Phi3.ARCHITECTURE,
          Gemma2.ARCHITECTURE);

  private Models() {}

  /**
   * Whether lm-evaluation-harness puts the beginning-of-sequence token before a multiple-choice
   * item for this model (it does for Gemma models, whose tokenizers expect it): the task formatting
   * copies that, and it is the family's fact, kept here with the families.
   */
  public static boolean harnessAddsBos(ModelConfig config) {
    return config.modelType() != null && config.modelType().startsWith("gemma");
  }

  /** The architecture of a config.json object, refusing unknown model types and classes by name. */
  public static Architecture architecture(ObjectNode raw) {
    String modelType = raw.path("model_type").asString("");
    Architecture architecture =
        ARCHITECTURES.stream()
            .filter(a -> a.modelType().equals(modelType))
            .findFirst()
            .orElseThrow(
                () ->
                    new UnsupportedModelException(
                        "config.json: model_type '"
                            + modelType
                            + "' is not supported (supported: "
                            + ARCHITECTURES.stream()
                                .map(Architecture::modelType)
                                .collect(Collectors.joining(", "))
                            + ")"));
    String name = className(raw, architecture);
    if (!architecture.classNames().contains(name)) {
      throw new UnsupportedModelException(
          "config.json: architecture '" + name + "' is not supported " + architecture.classNames());
    }
    return architecture;
  }

  /** The architecture of a parsed config. */
  public static Architecture architecture(ModelConfig config) {
    return architecture(config.raw());
  }

  /** The class named by {@code architectures[0]}, or the family's bare model when there is none. */
  static String className(ObjectNode raw, Architecture architecture) {
    JsonNode list = raw.get("architectures");
    List<String> names = architecture.classNames();
    return list != null && list.isArray() && !list.isEmpty()
        ? list.get(0).asString("")
        : names.get(names.size() - 1);
  }

  /** Parses a config.json object with its family's description. */
  public static ModelConfig config(ObjectNode raw) {
    return architecture(raw).config().apply(raw);
  }

  /** Reads and parses {@code dir/config.json}. */
  public static ModelConfig config(Path dir) {
    return config(ConfigValues.read(dir));
  }

  /** Opens a model directory, its config read by its family's description. */
  public static Checkpoint open(Path dir) {
    return Checkpoint.open(dir, Models::config);
  }

  /** Where the checkpoint's heads are. */
  public static HeadLayout layout(Checkpoint checkpoint) {
    return architecture(checkpoint.config()).layout().apply(checkpoint);
  }

  /**
   * What a model is, checked the way loading checks it (every weight's name, shape and dtype) but
   * without reading its data.
   *
   * @param heads per layer, the original indices of its heads
   * @param parameters weights and biases
   */
  public record Description(int[][] heads, long parameters) {}

  /** Describes {@code checkpoint}, refusing it as loading would, in constant memory. */
  public static Description describe(Checkpoint checkpoint) {
    try (HeadModel model = load(checkpoint.dataless(), Device.cpu())) {
      return new Description(model.heads(), model.parameters());
    }
  }

  /**
   * The model of {@code checkpoint} on {@code device}: every layer resident when it fits the
   * process's {@link MemoryBudget}, its layers streamed when only that fits, else refused.
   */
  public static HeadModel load(Checkpoint checkpoint, Device device) {
    return load(
        checkpoint,
        device,
        device.getDevices().size() > 1 ? MemoryBudget.current() : MemoryBudget.on(device));
  }

  /**
   * {@link #load(Checkpoint, Device)} within {@code budget}, unless {@code headprune.memory.stream}
   * says always or never. On a device of several ({@code gpu0+gpu1}) each device's own budget
   * decides ({@link #placement}); families that load whole run on the first of them.
   */
  public static HeadModel load(Checkpoint checkpoint, Device device, MemoryBudget budget) {
    Architecture architecture = architecture(checkpoint.config());
    boolean canStream = architecture.streamedLoader() != null;
    List<Device> devices = device.getDevices();
    if (!canStream && devices.size() > 1) {
      device = devices.get(0);
      devices = List.of(device);
    }
    if (checkpoint.isDataless() || MemoryBudget.stream() == MemoryBudget.Stream.NEVER) {
      return architecture.loader().load(checkpoint, device);
    }
    boolean streamed =
        MemoryBudget.stream() == MemoryBudget.Stream.ALWAYS && canStream
            || (devices.size() > 1
                    ? placedResidency(checkpoint, devices)
                    : budget.residency(MemoryBudget.Footprint.of(checkpoint), canStream))
                == MemoryBudget.Residency.STREAMED;
    return streamed
        ? architecture.streamedLoader().load(checkpoint, device)
        : architecture.loader().load(checkpoint, device);
  }

  /**
   * On several devices: resident when a {@link Placement#resident} of the model fits their budgets,
   * streamed when its layers fit the smallest budget one at a time, else refused with the figures.
   */
  private static MemoryBudget.Residency placedResidency(
      Checkpoint checkpoint, List<Device> devices) {
    if (residentPlacement(checkpoint, devices) != null) {
      return MemoryBudget.Residency.RESIDENT;
    }
    long smallest = Arrays.stream(MemoryBudget.capacities(devices)).min().orElse(0);
    new MemoryBudget(smallest).residency(MemoryBudget.Footprint.of(checkpoint), true);
    return MemoryBudget.Residency.STREAMED;
  }

  /**
   * Where the layers of {@code checkpoint} run on {@code device}: all on it; on a device of several
   * ({@code gpu0+gpu1}), streamed layers divided by count, resident ones balanced by bytes within
   * each device's budget — by count when they do not fit so (a model resident whatever its size).
   */
  static Placement placement(Checkpoint checkpoint, Device device, boolean streamed) {
    int layers = checkpoint.config().layers();
    List<Device> devices = device.getDevices();
    if (devices.size() == 1) {
      return Placement.single(devices.get(0), layers);
    }
    Placement resident = streamed ? null : residentPlacement(checkpoint, devices);
    return resident != null ? resident : Placement.streamed(devices, layers);
  }

  /** Every layer resident on {@code devices} within their budgets, or null when it cannot be. */
  static Placement residentPlacement(Checkpoint checkpoint, List<Device> devices) {
    MemoryBudget.Modules modules =
        MemoryBudget.Modules.of(checkpoint, checkpoint.config().layers());
    return Placement.resident(
        devices,
        MemoryBudget.capacities(devices),
        modules.embeddings(),
        modules.layers(),
        modules.head());
  }

  /**
   * Refuses {@code checkpoint} by name and figures when it cannot fit the process's {@link
   * MemoryBudget} even with its layers streamed (what a job checks at submission).
   */
  public static MemoryBudget.Residency checkFits(Checkpoint checkpoint) {
    if (MemoryBudget.stream() == MemoryBudget.Stream.NEVER) {
      return MemoryBudget.Residency.RESIDENT;
    }
    return MemoryBudget.current()
        .residency(
            MemoryBudget.Footprint.of(checkpoint),
            architecture(checkpoint.config()).streamedLoader() != null);
  }

  /** The model of {@code checkpoint} with its layers streamed, whatever its size. */
  public static HeadModel loadStreamed(Checkpoint checkpoint, Device device) {
    Architecture architecture = architecture(checkpoint.config());
    if (architecture.streamedLoader() == null) {
      throw new InvalidInputException(
          architecture.modelType() + " models load whole; only decoder families stream");
    }
    return architecture.streamedLoader().load(checkpoint, device);
  }
}
