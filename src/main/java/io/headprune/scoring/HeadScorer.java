package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import io.headprune.model.Stage;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Computes HIS and attention entropy (§3.1–3.4) with one forward and one backward pass per batch: a
 * gate per example and head (B, H_l) multiplies the attention probabilities, the summed per-example
 * losses are differentiated once, and each example's gate gradient is its own ∂L(x)/∂g. The
 * entropies come from the probabilities of the same forward pass.
 */
public final class HeadScorer {

  /** DJL allows one GradientCollector per JVM at a time, so gradient scoring is serialised. */
  private static final ReentrantLock GRADIENTS = new ReentrantLock();

  /**
   * Padded tokens a scoring batch may hold (the batch size caps the examples): what its forward and
   * backward keep alive grows with it, and beyond a few hundred tokens the matrix products are as
   * efficient as they get on a CPU. {@code -Dheadprune.scoring.batch-tokens=N} changes it (a GPU
   * wants more).
   */
  static final long BATCH_TOKENS = Long.getLong("headprune.scoring.batch-tokens", 512);

  /**
   * Padded tokens a batch of a streamed model may hold: each layer's weights are read once per
   * batch and only one layer's activations are alive at a time, so batches are larger. {@code
   * -Dheadprune.scoring.streamed-batch-tokens=N} changes it.
   */
  static final long STREAMED_BATCH_TOKENS =
      Long.getLong("headprune.scoring.streamed-batch-tokens", 4096);

  /** Time per part of a scoring batch, on stderr at exit with {@code -Dheadprune.profile=true}. */
  static final Profile PROFILE = Profile.named("scoring", Boolean.getBoolean("headprune.profile"));

  private HeadScorer() {}

  /** Scores every head of {@code model} on {@code examples}, {@code batchSize} at a time. */
  public static RawScores score(
      HeadModel model, List<Encoded> examples, int batchSize, Progress progress) {
    return score(model, examples, batchSize, Set.of(), progress);
  }

  /**
   * Scores with the heads in {@code gatedOff} at gate 0 (already pruned, for iterative selection);
   * their own scores are meaningless and must not be used.
   */
  public static RawScores score(
      HeadModel model,
      List<Encoded> examples,
      int batchSize,
      Set<HeadRef> gatedOff,
      Progress progress) {
    if (examples.isEmpty()) {
      throw new InvalidInputException("scoring needs at least one calibration example");
    }
    int[][] heads = model.heads();
    double[][] his = new double[heads.length][];
    double[][] entropy = new double[heads.length][];
    for (int l = 0; l < heads.length; l++) {
      his[l] = new double[heads[l].length];
      entropy[l] = new double[heads[l].length];
    }
    HeadModel.Streaming streaming = model.streaming();
    List<int[]> batches =
        Buckets.byTokens(
            examples,
            streaming == null ? batchSize : Integer.MAX_VALUE,
            streaming == null ? BATCH_TOKENS : STREAMED_BATCH_TOKENS,
            Buckets.MAX_PADDING);
    int done = 0;
    for (int[] indices : batches) {
      GRADIENTS.lock();
      long freeing;
      try (NDManager scope = model.manager().newSubManager()) {
        if (streaming == null) {
          scoreBatch(model, examples, indices, scope, gatedOff, his, entropy);
        } else {
          int batch = done;
          int steps = 2 * heads.length; // each layer forward, then recomputed and differentiated
          scoreStreamed(
              model,
              streaming,
              examples,
              indices,
              scope,
              gatedOff,
              his,
              entropy,
              step ->
                  progress.report(
                      Phase.SCORE, (long) batch * steps + step, (long) batches.size() * steps));
        }
        freeing = System.nanoTime();
      } finally {
        GRADIENTS.unlock();
      }
      PROFILE.add("freeing the batch's tensors", freeing);
      done++;
      if (streaming == null) {
        progress.report(Phase.SCORE, done, batches.size());
      }
    }
    for (int l = 0; l < heads.length; l++) {
      for (int h = 0; h < heads[l].length; h++) {
        his[l][h] /= examples.size();
        entropy[l][h] /= examples.size();
        if (!Double.isFinite(his[l][h]) || !Double.isFinite(entropy[l][h])) {
          // a selection made from NaN would be arbitrary: refused, never reported as a result
          throw new InvalidInputException(
              "head "
                  + l
                  + "."
                  + heads[l][h]
                  + " scores HIS "
                  + his[l][h]
                  + ", entropy "
                  + entropy[l][h]
                  + ": the model's activations are not finite on the calibration data (weights"
                  + " too large for float32?); no head can be ranked");
        }
      }
    }
    return new RawScores(heads, his, entropy, examples.size());
  }

  private static void scoreBatch(
      HeadModel model,
      List<Encoded> examples,
      int[] indices,
      NDManager scope,
      Set<HeadRef> gatedOff,
      double[][] his,
      double[][] entropy) {
    int[][] heads = model.heads();
    Double[] labels = new Double[indices.length];
    for (int b = 0; b < indices.length; b++) {
      labels[b] = examples.get(indices[b]).label();
    }
    long mark = System.nanoTime();
    Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
    int size = indices.length;
    List<NDArray> gates = new ArrayList<>(heads.length);
    for (int l = 0; l < heads.length; l++) {
      NDArray gate = gate(scope, heads, l, size, gatedOff); // (B, N)
      gate.setRequiresGradient(true);
      gates.add(gate);
    }
    List<NDArray> attentions;
    boolean languageModel = model.config().languageModel();
    mark = PROFILE.add("inputs and gates", mark);
    try (GradientCollector collector = scope.getEngine().newGradientCollector()) {
      var output = model.forward(batch, gates);
      attentions = output.attentions();
      mark = PROFILE.add("forward", mark);
      NDArray loss =
          languageModel
              ? Losses.languageModelSum(output.logits(), batch.inputIds(), batch.lengths())
              : Losses.perExampleSum(output.logits(), labels, model.config().labels().regression());
      mark = PROFILE.add("loss", mark);
      collector.backward(loss);
      mark = PROFILE.add("backward", mark);
    }
    mark = PROFILE.add("gradient collector close", mark);
    int[] lengths = batch.lengths();
    int tokens = (int) attentions.get(0).getShape().get(2);
    Map<Integer, NDArray> weightsByWindow = new HashMap<>();
    for (int l = 0; l < heads.length; l++) {
      addHis(his[l], gates.get(l).getGradient().toFloatArray(), lengths); // (B, N)
      mark = PROFILE.add("gradient read-out", mark);
      addEntropies(model, scope, weightsByWindow, lengths, tokens, l, attentions.get(l), entropy);
      mark = PROFILE.add("entropy", mark);
    }
  }

  /**
   * {@link #scoreBatch} for a model whose layers load one at a time, with the same sums: the layers
   * run forward without recording, each keeping its input (B, T, E) and giving its entropies; the
   * loss is differentiated at the last hidden states; then from the top down each layer is loaded
   * again, recomputed from its input with recording on, and differentiated through ⟨output,
   * incoming gradient⟩, which gives its gates' gradients and the gradient for the layer below.
   */
  private static void scoreStreamed(
      HeadModel model,
      HeadModel.Streaming streaming,
      List<Encoded> examples,
      int[] indices,
      NDManager scope,
      Set<HeadRef> gatedOff,
      double[][] his,
      double[][] entropy,
      IntConsumer layersDone) {
    int[][] heads = model.heads();
    int size = indices.length;
    Double[] labels = new Double[size];
    for (int b = 0; b < size; b++) {
      labels[b] = examples.get(indices[b]).label();
    }
    long mark = System.nanoTime();
    Batch batch = Encoded.batch(scope, examples, indices, model.config().padTokenId());
    int[] lengths = batch.lengths();
    int tokens = (int) batch.inputIds().getShape().get(1);
    List<NDArray> gates = new ArrayList<>(heads.length);
    for (int l = 0; l < heads.length; l++) {
      gates.add(gate(scope, heads, l, size, gatedOff)); // (B, N)
    }
    HeadModel.Streaming.Run run = streaming.begin(batch);
    NDArray[] inputs = new NDArray[heads.length];
    NDArray hidden = run.embeddings(); // (B, T, E)
    mark = PROFILE.add("inputs and gates", mark);
    Map<Integer, NDArray> weightsByWindow = new HashMap<>();
    for (int l = 0; l < heads.length; l++) {
      inputs[l] = hidden;
      try (NDManager layer = scope.newSubManager()) {
        NDArray[] out = run.load(l, layer).apply(Stage.view(hidden, layer), gates.get(l));
        mark = PROFILE.add("forward", mark);
        addEntropies(model, scope, weightsByWindow, lengths, tokens, l, out[1], entropy);
        mark = PROFILE.add("entropy", mark);
        hidden = out[0]; // (B, T, E)
        hidden.attach(scope);
      }
      layersDone.accept(l + 1);
    }
    boolean languageModel = model.config().languageModel();
    NDArray incoming; // ∂L/∂(output of the layer being differentiated) (B, T, E)
    try (NDManager top = scope.newSubManager()) {
      NDArray last = leaf(hidden, top);
      try (GradientCollector collector = scope.getEngine().newGradientCollector()) {
        NDArray logits = run.logits(last);
        NDArray loss =
            languageModel
                ? Losses.languageModelSum(logits, batch.inputIds(), lengths)
                : Losses.perExampleSum(logits, labels, model.config().labels().regression());
        collector.backward(loss);
      }
      incoming = last.getGradient().duplicate();
      incoming.attach(scope);
    }
    mark = PROFILE.add("loss and its backward", mark);
    for (int l = heads.length - 1; l >= 0; l--) {
      try (NDManager layer = scope.newSubManager()) {
        HeadModel.Streaming.Block block = run.load(l, layer);
        NDArray input = leaf(inputs[l], layer);
        NDArray gate = leaf(gates.get(l), layer);
        try (GradientCollector collector = scope.getEngine().newGradientCollector()) {
          NDArray output = block.apply(input, gate)[0]; // (B, T, E)
          collector.backward(output.mul(incoming).sum());
        }
        mark = PROFILE.add("backward", mark);
        addHis(his[l], gate.getGradient().toFloatArray(), lengths); // (B, N)
        NDArray below = input.getGradient().duplicate(); // (B, T, E)
        below.attach(scope);
        incoming.close();
        incoming = below;
        inputs[l].close();
      }
      layersDone.accept(2 * heads.length - l);
    }
  }

  /** Adds each example's |∂L(x)/∂g| / n_x to its head's sum: {@code gradient} (B, N) row-major. */
  private static void addHis(double[] his, float[] gradient, int[] lengths) {
    int count = his.length;
    for (int b = 0; b < lengths.length; b++) {
      for (int h = 0; h < count; h++) {
        his[h] += Math.abs((double) gradient[b * count + h]) / lengths[b];
      }
    }
  }

  /**
   * Adds each example's AE_x of layer {@code l}'s heads, from its probabilities (B, N, T, T), to
   * their sums; the row weights are made once per sliding window and batch ({@code byWindow}).
   */
  private static void addEntropies(
      HeadModel model,
      NDManager scope,
      Map<Integer, NDArray> byWindow,
      int[] lengths,
      int tokens,
      int l,
      NDArray probabilities,
      double[][] entropy) {
    NDArray rowWeights =
        byWindow.computeIfAbsent(
            model.slidingWindow(l),
            window ->
                scope.create(
                    rowWeights(lengths, tokens, model.config().causal(), window),
                    new Shape(lengths.length, 1, tokens))); // (B, 1, T) float64
    double[] attentionEntropy = weightedEntropies(probabilities, rowWeights); // (B, N): AE_x
    int count = entropy[l].length;
    for (int b = 0; b < lengths.length; b++) {
      for (int h = 0; h < count; h++) {
        entropy[l][h] += attentionEntropy[b * count + h];
      }
    }
  }

  /** Layer {@code l}'s gates (B, N): 1, or 0 for a head already pruned. */
  private static NDArray gate(
      NDManager scope, int[][] heads, int l, int size, Set<HeadRef> gatedOff) {
    NDArray gate = scope.ones(new Shape(size, heads[l].length)); // (B, N)
    for (int h = 0; h < heads[l].length; h++) {
      if (gatedOff.contains(new HeadRef(l, heads[l][h]))) {
        gate.set(new NDIndex(":, {}", h), 0f); // already pruned: gated off for every example
      }
    }
    return gate;
  }

  /**
   * A copy of {@code array} on {@code scope} that records gradients: a leaf of the next backward.
   */
  private static NDArray leaf(NDArray array, NDManager scope) {
    NDArray copy = array.duplicate();
    copy.attach(scope);
    copy.setRequiresGradient(true);
    return copy;
  }

  /**
   * The weight of each query row in AE_x (§3.4): 1 / (ln c_t · rows) for the example's real rows t
   * whose context c_t ≥ 2, 0 elsewhere; c_t = t + 1 in causal attention, min(t + 1, W) inside a
   * sliding window of W keys ({@code window} &gt; 0), n in bidirectional.
   */
  static double[] rowWeights(int[] lengths, int tokens, boolean causal, int window) {
    double[] weights = new double[lengths.length * tokens];
    for (int b = 0; b < lengths.length; b++) {
      int n = lengths[b];
      int rows = causal ? (window == 1 ? 0 : n - 1) : (n >= 2 ? n : 0);
      for (int t = 0; t < n && rows > 0; t++) {
        int context = causal ? (window > 0 ? Math.min(t + 1, window) : t + 1) : n;
        if (context >= 2) {
          weights[b * tokens + t] = 1.0 / (Math.log(context) * rows);
        }
      }
    }
    return weights;
  }

  /** Σ_t w[t] · H(P[t, :]) in float64, with 0·ln 0 = 0: (B, N, T, T) and (B, 1, T) to (B, N). */
  private static double[] weightedEntropies(NDArray probabilities, NDArray rowWeights) {
    NDArray p = probabilities.toType(DataType.FLOAT64, false); // (B, N, T, T)
    NDArray plogp = p.mul(p.maximum(Float.MIN_VALUE).log()); // (B, N, T, T), exactly 0 where p = 0
    NDArray rows = plogp.sum(new int[] {3}).neg(); // (B, N, T)
    return rows.mul(rowWeights).sum(new int[] {2}).toDoubleArray(); // (B, N)
  }
}
