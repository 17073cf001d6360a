package io.headprune.pruning;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.Architecture;
import io.headprune.model.HeadLayout;
import io.headprune.model.HeadLayout.LayerHeads;
import io.headprune.model.Models;
import io.headprune.problem.InvalidInputException;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.ScaledHeads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a pruned or masked copy of a checkpoint from its architecture's head layout: the tensors
 * the layout names are sliced or zeroed as raw bytes (so F32, F16 and BF16 weights keep their dtype
 * and exact bits), every other tensor is copied. The output is written under a temporary name and
 * renamed when complete: a reader never sees half a model.
 */
public final class CheckpointPruner {

  /**
   * Files copied beside the weights: the tokenizer's or image processor's, and the sharded index.
   */
  private static final Pattern COPIED_FILES =
      Pattern.compile(
          "tokenizer(_config)?\\.json|special_tokens_map\\.json|added_tokens\\.json|vocab\\.(txt|json)"
              + "|merges\\.txt|[^/]*\\.model|preprocessor_config\\.json|model\\.safetensors\\.index\\.json");

  private CheckpointPruner() {}

  /** A tensor the layout names, with its layer. */
  private record Located(LayerHeads layer, HeadLayout.Tensor tensor) {}

  /**
   * Writes {@code checkpoint} without {@code heads} to {@code target} (which must not exist). When
   * {@code heads} is a {@link ScaledHeads}, every kept head's output-projection columns are also
   * multiplied by its scale (a rescaling folded in: same shapes and config).
   */
  public static void write(
      Checkpoint checkpoint, Collection<HeadRef> heads, PruneMode mode, Path target) {
    ModelConfig config = checkpoint.config();
    Architecture architecture = Models.architecture(config);
    HeadLayout layout = Models.layout(checkpoint);
    Map<Integer, SortedSet<Integer>> byLayer = byLayer(heads, config);
    if (mode == PruneMode.PHYSICAL
        && architecture.physicalPruning() == Architecture.PhysicalPruning.REDUCED_COUNTS) {
      checkUniform(byLayer, config);
    }
    Map<String, Located> located = new HashMap<>();
    for (LayerHeads layer : layout.layers()) {
      for (HeadLayout.Tensor tensor : layer.tensors()) {
        located.put(tensor.name(), new Located(layer, tensor));
      }
    }
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      deleteTree(partial);
      Files.createDirectories(partial);
      long totalBytes = 0;
      for (SafetensorsFile file : checkpoint.files()) {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (TensorInfo info : file.tensors().values()) {
          SafetensorsWriter.Tensor tensor =
              transform(
                  info,
                  file.bytes(info.name()),
                  located.get(info.name()),
                  byLayer,
                  mode,
                  heads instanceof ScaledHeads scaled ? scaled : null);
          totalBytes += tensor.data().remaining();
          tensors.add(tensor);
        }
        SafetensorsWriter.write(partial.resolve(file.path().getFileName().toString()), tensors);
      }
      writeConfig(config, architecture.physicalPruning(), byLayer, mode, partial);
      copyOthers(checkpoint.directory(), partial);
      updateIndex(partial.resolve(Checkpoint.INDEX), totalBytes);
      if (Files.exists(target)) {
        throw new InvalidInputException("output " + target.getFileName() + " already exists");
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteQuietly(partial);
      throw new UncheckedIOException("writing pruned model to " + target, e);
    } catch (RuntimeException e) {
      deleteQuietly(partial);
      throw e;
    }
  }

  /** A stock config holds one head count for every layer: each layer must lose the same number. */
  private static void checkUniform(Map<Integer, SortedSet<Integer>> byLayer, ModelConfig config) {
    int first = byLayer.getOrDefault(0, new TreeSet<>()).size();
    for (int l = 1; l < config.layers(); l++) {
      int removed = byLayer.getOrDefault(l, new TreeSet<>()).size();
      if (removed != first) {
        throw new InvalidInputException(
            "pruning removes "
                + first
                + " heads in layer 0 but "
                + removed
                + " in layer "
                + l
                + ": a stock config with fewer heads needs the same number of whole key/value groups removed in every "
                + "layer (uniform-groups selection); masked/ carries any selection");
      }
    }
  }

  private static Map<Integer, SortedSet<Integer>> byLayer(
      Collection<HeadRef> heads, ModelConfig config) {
    Map<Integer, SortedSet<Integer>> byLayer = new TreeMap<>();
    for (HeadRef head : heads) {
      if (head.layer() >= config.layers()
          || Arrays.stream(config.remainingHeads(head.layer())).noneMatch(h -> h == head.head())) {
        throw new InvalidInputException("head " + head + " does not exist in this model");
      }
      byLayer.computeIfAbsent(head.layer(), l -> new TreeSet<>()).add(head.head());
    }
    byLayer.forEach(
        (layer, set) -> {
          if (set.size() == config.remainingHeads(layer).length) {
            throw new InvalidInputException("pruning would remove every head of layer " + layer);
          }
        });
    return byLayer;
  }

  private static SafetensorsWriter.Tensor transform(
      TensorInfo info,
      ByteBuffer data,
      Located located,
      Map<Integer, SortedSet<Integer>> byLayer,
      PruneMode mode,
      ScaledHeads scaled) {
    if (located != null && scaled != null && outputOf(located.tensor())) {
      if (!info.dtype().isFloat()) {
        throw new InvalidInputException(
            "tensor '" + info.name() + "' is " + info.dtype() + ": rescaling needs a float");
      }
      int[] slots = located.layer().queryHeads();
      double[] scales = new double[slots.length];
      for (int i = 0; i < slots.length; i++) {
        scales[i] = scaled.scale(new HeadRef(located.layer().layer(), slots[i]));
      }
      data = HeadSlicer.scaled(info, data, located.tensor(), located.layer().headSize(), scales);
    }
    SortedSet<Integer> pruned = located == null ? null : byLayer.get(located.layer().layer());
    if (pruned == null) {
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), info.shape(), data);
    }
    int[] slots = located.layer().queryHeads();
    boolean[] queryDropped = new boolean[slots.length];
    for (int i = 0; i < slots.length; i++) {
      queryDropped[i] = pruned.contains(slots[i]);
    }
    boolean[][] drop = HeadSlicer.dropped(located.layer(), located.tensor(), queryDropped, mode);
    return HeadSlicer.apply(info, data, located.tensor(), located.layer().headSize(), drop, mode);
  }

  /** Whether {@code tensor} holds output-projection columns. */
  private static boolean outputOf(HeadLayout.Tensor tensor) {
    return tensor.blocks().stream().anyMatch(b -> b.role() == HeadLayout.Role.OUTPUT);
  }

  private static void writeConfig(
      ModelConfig config,
      Architecture.PhysicalPruning physical,
      Map<Integer, SortedSet<Integer>> byLayer,
      PruneMode mode,
      Path directory)
      throws IOException {
    ObjectNode raw = config.raw().deepCopy();
    if (mode == PruneMode.PHYSICAL && physical == Architecture.PhysicalPruning.PRUNED_HEADS) {
      Map<Integer, SortedSet<Integer>> all = new TreeMap<>();
      config.prunedHeads().forEach((layer, set) -> all.put(layer, new TreeSet<>(set)));
      byLayer.forEach((layer, set) -> all.computeIfAbsent(layer, l -> new TreeSet<>()).addAll(set));
      ObjectNode prunedHeads = Json.MAPPER.createObjectNode();
      all.forEach(
          (layer, set) -> {
            ArrayNode list = prunedHeads.putArray(Integer.toString(layer));
            set.forEach(list::add);
          });
      raw.set("pruned_heads", prunedHeads);
    }
    if (mode == PruneMode.PHYSICAL
        && physical == Architecture.PhysicalPruning.REDUCED_COUNTS
        && !byLayer.isEmpty()) {
      int removed = byLayer.values().iterator().next().size();
      int groupSize = config.attentionHeads() / config.keyValueHeads();
      raw.put("num_attention_heads", config.attentionHeads() - removed);
      raw.put("num_key_value_heads", config.keyValueHeads() - removed / groupSize);
      raw.put("head_dim", config.headSize());
    }
    Files.writeString(directory.resolve("config.json"), Json.MAPPER.writeValueAsString(raw) + "\n");
  }

  /**
   * A sharded checkpoint's index keeps its weight map; its metadata.total_size becomes the new
   * size.
   */
  private static void updateIndex(Path index, long totalBytes) throws IOException {
    if (!Files.isRegularFile(index)) {
      return;
    }
    JsonNode node = Json.parse(Files.readAllBytes(index), Checkpoint.INDEX);
    if (node instanceof ObjectNode root && root.path("metadata") instanceof ObjectNode metadata) {
      metadata.put("total_size", totalBytes);
      Files.writeString(index, Json.MAPPER.writeValueAsString(root) + "\n");
    }
  }

  private static void copyOthers(Path source, Path target) throws IOException {
    try (var files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (Files.isRegularFile(file) && COPIED_FILES.matcher(name).matches()) {
          Files.copy(file, target.resolve(name));
        }
      }
    }
  }

  private static void deleteQuietly(Path directory) {
    try {
      deleteTree(directory);
    } catch (IOException ignored) {
      // best effort: the original failure is the one to report
    }
  }

  /** Deletes a directory tree if it exists. */
  public static void deleteTree(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (var paths = Files.walk(directory)) {
      for (Path path : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(path);
      }
    }
  }
}
