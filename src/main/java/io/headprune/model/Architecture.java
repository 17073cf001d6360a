package io.headprune.model;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ModelConfig;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.node.ObjectNode;

/**
 * Everything the rest of headprune knows about a model family, as data: its names, the inputs it
 * takes, how its config is read, where its heads sit in the weights, how a physically pruned
 * checkpoint records the change, and its forward pass. One family file (e.g. {@link Bert}) defines
 * one of these; the loader, scorer, writers and service read nothing else.
 *
 * @param modelType config's {@code model_type}
 * @param classNames {@code architectures} entries accepted; the first is the task model
 * @param modality what examples are: text or images
 * @param imageProcessors {@code image_processor_type} values whose pipeline headprune reproduces
 *     (images only)
 * @param config reads the family's config keys into a {@link ModelConfig}, refusing by name
 * @param layout where each layer's heads are in the checkpoint's tensors
 * @param physicalPruning how {@code pruned/} records removed heads
 * @param loader builds the forward pass from the checkpoint
 * @param streamedLoader builds it with layers that load one at a time when they run ({@link
 *     HeadModel#streaming}), or null for a family that loads whole
 */
public record Architecture(
    String modelType,
    List<String> classNames,
    Modality modality,
    List<String> imageProcessors,
    Function<ObjectNode, ModelConfig> config,
    Function<Checkpoint, HeadLayout> layout,
    PhysicalPruning physicalPruning,
    Loader loader,
    Loader streamedLoader) {

  public Architecture {
    classNames = List.copyOf(classNames);
    imageProcessors = List.copyOf(imageProcessors);
  }

  /** A family whose models load whole. */
  public Architecture(
      String modelType,
      List<String> classNames,
      Modality modality,
      List<String> imageProcessors,
      Function<ObjectNode, ModelConfig> config,
      Function<Checkpoint, HeadLayout> layout,
      PhysicalPruning physicalPruning,
      Loader loader) {
    this(
        modelType,
        classNames,
        modality,
        imageProcessors,
        config,
        layout,
        physicalPruning,
        loader,
        null);
  }

  /** What a family's examples are. */
  public enum Modality {
    /** Tokenized text ({@code tokenizer.json} or {@code vocab.txt}). */
    TEXT,
    /** Images prepared as {@code preprocessor_config.json} says. */
    IMAGE
  }

  /** How a {@code pruned/} checkpoint tells a loader which heads are gone. */
  public enum PhysicalPruning {
    /** The head count stays; {@code pruned_heads} lists the removed original indices per layer. */
    PRUNED_HEADS,
    /**
     * A stock config with fewer heads: only whole key/value groups, the same number in every layer,
     * can go; {@code num_attention_heads} and {@code num_key_value_heads} shrink and {@code
     * head_dim} is written out.
     */
    REDUCED_COUNTS
  }

  /** The family's forward pass, loaded from a checkpoint onto a device. */
  @FunctionalInterface
  public interface Loader {

    /** Loads every weight the family needs, checking names and shapes. */
    HeadModel load(Checkpoint checkpoint, Device device);
  }

  /** The task model's class name (what scoring and evaluation need). */
  public String taskClass() {
    return classNames.get(0);
  }
}
