package io.headprune.pruning;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.ModelConfig;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.problem.InvalidInputException;
import io.headprune.scoring.HeadRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a pruned copy of a BERT checkpoint. Tensors are sliced as raw bytes, so F32, F16 and
 * BF16 weights keep their dtype and their exact bits. The output is written under a temporary
 * name and renamed when complete: a reader never sees half a model.
 */
public final class CheckpointPruner {

  /** Attention weights of BERT and RoBERTa (encoder.layer) and of DistilBERT (transformer.layer). */
  private static final Pattern ATTENTION =
      Pattern.compile("(?:bert\\.|roberta\\.|distilbert\\.)?(?:encoder|transformer)\\.layer\\.(\\d+)\\.attention\\."
          + "(self\\.query|self\\.key|self\\.value|output\\.dense|q_lin|k_lin|v_lin|out_lin)\\.(weight|bias)");

  /** Files copied beside the weights: the tokenizer's, and the sharded index. */
  private static final Pattern TOKENIZER_FILES =
      Pattern.compile("tokenizer(_config)?\\.json|special_tokens_map\\.json|added_tokens\\.json|vocab\\.(txt|json)"
          + "|merges\\.txt|[^/]*\\.model|preprocessor_config\\.json|model\\.safetensors\\.index\\.json");

  private CheckpointPruner() {}

  /** Writes {@code checkpoint} without {@code heads} to {@code target} (which must not exist). */
  public static void write(Checkpoint checkpoint, Collection<HeadRef> heads, PruneMode mode, Path target) {
    ModelConfig config = checkpoint.config();
    Map<Integer, SortedSet<Integer>> byLayer = byLayer(heads, config);
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      deleteTree(partial);
      Files.createDirectories(partial);
      for (SafetensorsFile file : checkpoint.files()) {
        List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
        for (TensorInfo info : file.tensors().values()) {
          tensors.add(transform(info, file.bytes(info.name()), byLayer, config, mode));
        }
        SafetensorsWriter.write(partial.resolve(file.path().getFileName().toString()), tensors);
      }
      writeConfig(config, byLayer, mode, partial);
      copyOthers(checkpoint.directory(), partial);
      if (Files.exists(target)) {
        throw new InvalidInputException("output " + target + " already exists");
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

  private static Map<Integer, SortedSet<Integer>> byLayer(Collection<HeadRef> heads, ModelConfig config) {
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
      TensorInfo info, ByteBuffer data, Map<Integer, SortedSet<Integer>> byLayer, ModelConfig config, PruneMode mode) {
    Matcher match = ATTENTION.matcher(info.name());
    SortedSet<Integer> pruned = match.matches() ? byLayer.get(Integer.parseInt(match.group(1))) : null;
    if (pruned == null) {
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), info.shape(), data);
    }
    int layer = Integer.parseInt(match.group(1));
    String part = match.group(2);
    boolean bias = match.group(3).equals("bias");
    boolean output = part.equals("output.dense") || part.equals("out_lin");
    if (output && bias) {
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), info.shape(), data);
    }
    boolean[] dropped = droppedSlots(config, layer, pruned);
    HeadSlices slices = new HeadSlices(info, config.headSize(), dropped);
    if (mode == PruneMode.PHYSICAL) {
      return output ? slices.keepColumns(data) : slices.keepRows(data);
    }
    if (output) {
      return slices.zeroColumns(data);
    }
    boolean value = part.equals("self.value") || part.equals("v_lin");
    return value ? slices.zeroRows(data) : new SafetensorsWriter.Tensor(
        info.name(), info.dtype(), info.shape(), data);
  }

  /** For each head slot the layer has now, whether it is pruned. */
  private static boolean[] droppedSlots(ModelConfig config, int layer, SortedSet<Integer> pruned) {
    int[] remaining = config.remainingHeads(layer);
    boolean[] dropped = new boolean[remaining.length];
    for (int i = 0; i < remaining.length; i++) {
      dropped[i] = pruned.contains(remaining[i]);
    }
    return dropped;
  }

  private static void writeConfig(
      ModelConfig config, Map<Integer, SortedSet<Integer>> byLayer, PruneMode mode, Path directory) throws IOException {
    ObjectNode raw = config.raw().deepCopy();
    if (mode == PruneMode.PHYSICAL) {
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
    Files.writeString(directory.resolve("config.json"), Json.MAPPER.writeValueAsString(raw) + "\n");
  }

  private static void copyOthers(Path source, Path target) throws IOException {
    try (var files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        if (Files.isRegularFile(file) && TOKENIZER_FILES.matcher(name).matches()) {
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

  /** Byte-level row and column operations on a head-structured tensor of one layer. */
  private record HeadSlices(TensorInfo info, int headSize, boolean[] dropped) {

    private int element() {
      return info.dtype().bytes();
    }

    private int keptHeads() {
      int kept = 0;
      for (boolean drop : dropped) {
        kept += drop ? 0 : 1;
      }
      return kept;
    }

    private long[] shapeWith(int axis, long size) {
      long[] shape = info.shape();
      shape[axis] = size;
      return shape;
    }

    /** Rows of the head slots kept (weights (N*D, E) or biases (N*D)). */
    SafetensorsWriter.Tensor keepRows(ByteBuffer data) {
      long[] shape = info.shape();
      int rowBytes = (shape.length == 2 ? (int) shape[1] : 1) * element();
      ByteBuffer out = ByteBuffer.allocate(keptHeads() * headSize * rowBytes).order(ByteOrder.LITTLE_ENDIAN);
      for (int slot = 0; slot < dropped.length; slot++) {
        if (!dropped[slot]) {
          out.put(data.slice(slot * headSize * rowBytes, headSize * rowBytes));
        }
      }
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), shapeWith(0, (long) keptHeads() * headSize), out.flip());
    }

    /** Columns of the head slots kept (attention output weight (E, N*D)). */
    SafetensorsWriter.Tensor keepColumns(ByteBuffer data) {
      long[] shape = info.shape();
      int rows = (int) shape[0];
      int rowBytes = (int) shape[1] * element();
      int headBytes = headSize * element();
      ByteBuffer out = ByteBuffer.allocate(rows * keptHeads() * headBytes).order(ByteOrder.LITTLE_ENDIAN);
      for (int r = 0; r < rows; r++) {
        for (int slot = 0; slot < dropped.length; slot++) {
          if (!dropped[slot]) {
            out.put(data.slice(r * rowBytes + slot * headBytes, headBytes));
          }
        }
      }
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), shapeWith(1, (long) keptHeads() * headSize), out.flip());
    }

    /** Same shape, rows of dropped head slots zeroed. */
    SafetensorsWriter.Tensor zeroRows(ByteBuffer data) {
      long[] shape = info.shape();
      int rowBytes = (shape.length == 2 ? (int) shape[1] : 1) * element();
      ByteBuffer out = copy(data);
      for (int slot = 0; slot < dropped.length; slot++) {
        if (dropped[slot]) {
          zero(out, slot * headSize * rowBytes, headSize * rowBytes);
        }
      }
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), shape, out);
    }

    /** Same shape, columns of dropped head slots zeroed. */
    SafetensorsWriter.Tensor zeroColumns(ByteBuffer data) {
      long[] shape = info.shape();
      int rowBytes = (int) shape[1] * element();
      int headBytes = headSize * element();
      ByteBuffer out = copy(data);
      for (int r = 0; r < shape[0]; r++) {
        for (int slot = 0; slot < dropped.length; slot++) {
          if (dropped[slot]) {
            zero(out, r * rowBytes + slot * headBytes, headBytes);
          }
        }
      }
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), shape, out);
    }

    private static ByteBuffer copy(ByteBuffer data) {
      ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      out.put(data.duplicate()).flip();
      return out;
    }

    private static void zero(ByteBuffer buffer, int offset, int length) {
      for (int i = 0; i < length; i++) {
        buffer.put(offset + i, (byte) 0);
      }
    }
  }
}
