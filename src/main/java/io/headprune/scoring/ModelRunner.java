package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.model.Autograd;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.model.Stage;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;

/** Runs a model without gradients over many examples, optionally with heads gated off. */
public final class ModelRunner {

  /**
   * Padded tokens an inference batch may hold (the batch size caps the examples): nothing is kept
   * for a backward, so it can be larger than a scoring batch.
   */
  static final long BATCH_TOKENS = Long.getLong("headprune.inference.batch-tokens", 4096);

  private ModelRunner() {}

  /** Length-sorted batches of at most {@code batchSize} examples, little padding and bounded. */
  static List<int[]> batches(List<Encoded> examples, int batchSize) {
    return Buckets.byTokens(examples, batchSize, BATCH_TOKENS, Buckets.MAX_PADDING);
  }

  /** Logits of every example (input order), with the heads in {@code gatedOff} at gate 0. */
  public static float[][] logits(
      HeadModel model,
      List<Encoded> examples,
      Collection<HeadRef> gatedOff,
      int batchSize,
      Progress progress) {
    Autograd.offForThisThread();
    float[][] logits = new float[examples.size()][];
    List<int[]> batches = batches(examples, batchSize);
    int done = 0;
    for (int[] indices : batches) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        NDArray out = model.logits(batch, gates(scope, model.heads(), gatedOff)); // (B, C)
        float[] flat = out.toFloatArray();
        int classes = (int) out.getShape().get(1);
        for (int b = 0; b < indices.length; b++) {
          float[] row = new float[classes];
          System.arraycopy(flat, b * classes, row, 0, classes);
          logits[indices[b]] = row;
        }
      }
      progress.report(Phase.EVALUATE, ++done, batches.size());
    }
    return logits;
  }

  /**
   * Logits of every example (input order) for each head set of {@code sets} gated off: {@code
   * [set][example][class]}. A model that runs layer by layer shares work between sets: per batch,
   * the sets walk a tree of their gates layer by layer, and each distinct prefix of gates runs its
   * layer once — sets that agree on layers 0 … l share those layers' passes. Equal to calling
   * {@link #logits} once per set.
   */
  public static float[][][] logits(
      HeadModel model,
      List<Encoded> examples,
      List<? extends Collection<HeadRef>> sets,
      int batchSize,
      Progress progress) {
    Autograd.offForThisThread();
    float[][][] logits = new float[sets.size()][examples.size()][];
    HeadModel.Stages stages = model.stages();
    if (stages == null || sets.isEmpty()) {
      for (int s = 0; s < sets.size(); s++) {
        int set = s;
        logits[s] =
            logits(
                model,
                examples,
                sets.get(s),
                batchSize,
                (phase, done, total) ->
                    progress.report(phase, (long) set * total + done, (long) sets.size() * total));
      }
      return logits;
    }
    shared(
        model,
        examples,
        batches(examples, batchSize),
        sets,
        (set, indices, batch, out) -> {
          float[] flat = out.toFloatArray();
          int classes = (int) out.getShape().get(1);
          for (int b = 0; b < indices.length; b++) {
            logits[set][indices[b]] = Arrays.copyOfRange(flat, b * classes, (b + 1) * classes);
          }
        },
        progress);
    return logits;
  }

  /** Receives one head set's logits for one batch. */
  @FunctionalInterface
  public interface BatchLogits {

    /**
     * The logits of set {@code set} on the batch of {@code indices} ({@code batch}): owned by a
     * scope that closes when this returns.
     */
    void accept(int set, int[] indices, Batch batch, NDArray logits);
  }

  /**
   * Runs every batch of {@code batches} once through the tree of {@code sets}' gates (a model that
   * runs layer by layer: {@link HeadModel#stages()}), handing each set's logits per batch to {@code
   * sink}; progress: phase "evaluate", in layer passes.
   */
  public static void shared(
      HeadModel model,
      List<Encoded> examples,
      List<int[]> batches,
      List<? extends Collection<HeadRef>> sets,
      BatchLogits sink,
      Progress progress) {
    HeadModel.Stages stages = model.stages();
    Prefixes prefixes = Prefixes.of(model.heads(), sets);
    long total = (long) prefixes.passes() * batches.size();
    long[] done = {0};
    List<Integer> all = IntStream.range(0, sets.size()).boxed().toList();
    for (int[] indices : batches) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        walk(
            stages,
            stages.start(batch),
            all,
            prefixes,
            scope,
            (set, out) -> sink.accept(set, indices, batch, out),
            () -> progress.report(Phase.EVALUATE, ++done[0], total));
      }
    }
  }

  /**
   * Runs layer {@code stage.layer()} once for each distinct gate of {@code members} there (each on
   * a scope of its own, freed when its branch is done), then their subtrees; at the end, hands the
   * logits to {@code sink} for every member.
   */
  private static void walk(
      HeadModel.Stages stages,
      Stage stage,
      List<Integer> members,
      Prefixes prefixes,
      NDManager parent,
      BiConsumer<Integer, NDArray> sink,
      Runnable pass) {
    int layer = stage.layer();
    if (layer == prefixes.layers()) {
      NDArray out = stages.logits(stage); // (B, C), or (B, T, V) for a causal LM
      members.forEach(set -> sink.accept(set, out));
      return;
    }
    for (List<Integer> branch : prefixes.branches(members, layer)) {
      try (NDManager scope = parent.newSubManager()) {
        float[] gate = prefixes.gate(branch.get(0), layer);
        Stage next =
            stages.next(
                stage.on(scope),
                gate == null ? null : scope.create(gate).reshape(1, gate.length)); // (1, H_l)
        pass.run();
        walk(stages, next, branch, prefixes, scope, sink, pass);
      }
    }
  }

  /**
   * Each head set's gate per layer (null where no head of the layer is off), and the tree they
   * make: the sets that share layers 0 … l−1 split at layer l by their gate there.
   */
  record Prefixes(float[][][] gates, int layers) {

    static Prefixes of(int[][] heads, List<? extends Collection<HeadRef>> sets) {
      float[][][] gates = new float[sets.size()][heads.length][];
      for (int s = 0; s < sets.size(); s++) {
        Collection<HeadRef> off = sets.get(s);
        for (int l = 0; l < heads.length; l++) {
          float[] values = new float[heads[l].length];
          boolean any = false;
          for (int h = 0; h < values.length; h++) {
            boolean gated = off.contains(new HeadRef(l, heads[l][h]));
            values[h] = gated ? 0f : 1f;
            any |= gated;
          }
          gates[s][l] = any ? values : null;
        }
      }
      return new Prefixes(gates, heads.length);
    }

    float[] gate(int set, int layer) {
      return gates[set][layer];
    }

    /**
     * {@code members} (sets equal on the layers below {@code layer}) grouped by their gate there.
     */
    List<List<Integer>> branches(List<Integer> members, int layer) {
      Map<String, List<Integer>> groups = new LinkedHashMap<>();
      for (int set : members) {
        groups.computeIfAbsent(Arrays.toString(gates[set][layer]), k -> new ArrayList<>()).add(set);
      }
      return List.copyOf(groups.values());
    }

    /** Layer passes per batch: the distinct prefixes of gates, layer by layer. */
    int passes() {
      int passes = 0;
      List<List<Integer>> level = List.of(IntStream.range(0, gates.length).boxed().toList());
      for (int l = 0; l < layers; l++) {
        List<List<Integer>> nextLevel = new ArrayList<>();
        for (List<Integer> members : level) {
          nextLevel.addAll(branches(members, l));
        }
        passes += nextLevel.size();
        level = nextLevel;
      }
      return passes;
    }
  }

  /**
   * Runs the model over {@code examples} and discards the outputs, reading back one number per
   * batch so that an asynchronous device has finished: what a latency measurement times.
   */
  public static void run(HeadModel model, List<Encoded> examples, int batchSize) {
    Autograd.offForThisThread();
    for (int[] indices : batches(examples, batchSize)) {
      try (NDManager scope = model.manager().newSubManager()) {
        Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
        model.logits(batch, null).sum().toFloatArray();
      }
    }
  }

  /**
   * One (1, H_l) gate per layer, 0 for the heads in {@code gatedOff}; null if none is off. A {@link
   * ScaledHeads} gives every head its scale.
   */
  public static List<NDArray> gates(NDManager scope, int[][] heads, Collection<HeadRef> gatedOff) {
    if (gatedOff instanceof ScaledHeads scaled) {
      List<NDArray> gates = new ArrayList<>(heads.length);
      for (int l = 0; l < heads.length; l++) {
        float[] values = new float[heads[l].length];
        for (int h = 0; h < values.length; h++) {
          values[h] = (float) scaled.scale(l, h);
        }
        gates.add(scope.create(values).reshape(1, values.length));
      }
      return gates;
    }
    if (gatedOff.isEmpty()) {
      return null;
    }
    List<NDArray> gates = new ArrayList<>(heads.length);
    for (int l = 0; l < heads.length; l++) {
      float[] values = new float[heads[l].length];
      for (int h = 0; h < values.length; h++) {
        values[h] = gatedOff.contains(new HeadRef(l, heads[l][h])) ? 0f : 1f;
      }
      gates.add(scope.create(values).reshape(1, values.length));
    }
    return gates;
  }
}
