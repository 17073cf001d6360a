package io.headprune.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.model.Autograd;
import io.headprune.model.Batch;
import io.headprune.model.HeadModel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealVector;

/**
 * Retraining-free recovery by rescaling the kept heads (mask tuning: Kwon et al. 2022, "A Fast
 * Post-Training Pruning Framework for Transformers", §4.3, with a ridge toward 1).
 *
 * <p>Layer by layer from the first, on the calibration tokens: the attention sublayer's output
 * before its bias is a sum of per-head contributions, {@code y = Σ_h W_O,h c_h} (W_O,h the head's
 * columns of the output projection, c_h its attention context). The target is the unpruned model's
 * {@code y} on its own inputs; the contributions {@code z_h} are those of the pruned model whose
 * earlier layers are already rescaled, on its inputs. The scales {@code s} of the kept heads
 * minimise {@code ‖Σ_h s_h z_h − y‖² + λ ‖s − 1‖²}, i.e. {@code (G + λI) s = r + λ·1} with {@code
 * G_hk = ⟨z_h, z_k⟩}, {@code r_h = ⟨z_h, y⟩} summed over real tokens, and {@code λ} = {@link
 * #RIDGE} × the mean of G's diagonal. A scale multiplies the head's gate (its attention
 * probabilities, so its context), which is the same as multiplying its output-projection columns:
 * that is how a checkpoint keeps it.
 */
public final class Rescaling {

  /** The ridge weight, relative to the mean squared norm of one head's contribution. */
  public static final double RIDGE = 1e-2;

  private Rescaling() {}

  /**
   * The gates of the rescaled model: 0 for the heads of {@code pruned}, a fitted scale for the
   * others, per layer and head slot.
   */
  public static ScaledHeads fit(
      HeadModel model, List<Encoded> calibration, Collection<HeadRef> pruned, int batchSize) {
    Autograd.offForThisThread();
    int[][] heads = model.heads();
    Set<HeadRef> off = new HashSet<>(pruned);
    double[][] scales = new double[heads.length][];
    boolean[][] kept = new boolean[heads.length][];
    for (int l = 0; l < heads.length; l++) {
      scales[l] = new double[heads[l].length];
      kept[l] = new boolean[heads[l].length];
      for (int h = 0; h < heads[l].length; h++) {
        kept[l][h] = !off.contains(new HeadRef(l, heads[l][h]));
        scales[l][h] = kept[l][h] ? 1 : 0;
      }
    }
    List<int[]> batches = ModelRunner.batches(calibration, batchSize);
    for (int l = 0; l < heads.length; l++) {
      int n = heads[l].length;
      double[][] gram = new double[n][n];
      double[] right = new double[n];
      for (int[] indices : batches) {
        try (NDManager scope = model.manager().newSubManager()) {
          Batch batch = Encoded.batch(scope, calibration, indices, model.config().padTokenId());
          NDArray weight = model.outputWeight(l, scope); // (E, N·D)
          NDArray dense = contributions(context(model, batch, null, l), weight, batch); // (N, M, E)
          NDArray target = dense.sum(new int[] {0}).reshape(-1, 1); // (M·E, 1)
          NDArray z =
              contributions(context(model, batch, gates(scope, scales, l), l), weight, batch)
                  .reshape(n, -1); // (N, M·E)
          accumulate(gram, z.matMul(z.transpose()).toFloatArray());
          accumulate(right, z.matMul(target).toFloatArray());
        }
      }
      solve(gram, right, kept[l], scales[l]);
    }
    return new ScaledHeads(heads, off, scales);
  }

  /**
   * Solves {@code (G + λI) s = r + λ·1} over the kept heads of one layer into {@code scales}
   * (others stay 0); λ = {@link #RIDGE} × the kept heads' mean {@code G_hh}. A layer whose kept
   * heads contribute nothing keeps scales 1.
   */
  static void solve(double[][] gram, double[] right, boolean[] kept, double[] scales) {
    List<Integer> slots = new ArrayList<>();
    for (int h = 0; h < kept.length; h++) {
      if (kept[h]) {
        slots.add(h);
      }
    }
    int k = slots.size();
    double diagonal = 0;
    for (int slot : slots) {
      diagonal += gram[slot][slot] / k;
    }
    if (k == 0 || !(diagonal > 0)) {
      return;
    }
    double lambda = RIDGE * diagonal;
    double[][] system = new double[k][k];
    double[] rhs = new double[k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j < k; j++) {
        system[i][j] = gram[slots.get(i)][slots.get(j)] + (i == j ? lambda : 0);
      }
      rhs[i] = right[slots.get(i)] + lambda;
    }
    RealVector solution =
        new LUDecomposition(new Array2DRowRealMatrix(system, false))
            .getSolver()
            .solve(new ArrayRealVector(rhs, false));
    for (int i = 0; i < k; i++) {
      scales[slots.get(i)] = solution.getEntry(i);
    }
  }

  /**
   * Layer {@code layer}'s gated attention context (B, N, R, D) of a forward pass with {@code
   * gates}.
   */
  private static NDArray context(HeadModel model, Batch batch, List<NDArray> gates, int layer) {
    List<NDArray> contexts = new ArrayList<>();
    model.forward(batch, gates, contexts::add);
    return contexts.get(layer);
  }

  /**
   * Per head, its contribution to the output projection on every real position, padding zeroed: (N,
   * M, E) with M = B·R.
   */
  private static NDArray contributions(NDArray context, NDArray weight, Batch batch) {
    long b = context.getShape().get(0);
    long n = context.getShape().get(1);
    long rows = context.getShape().get(2);
    long d = context.getShape().get(3);
    long e = weight.getShape().get(0);
    NDArray perHead = context.transpose(1, 0, 2, 3).reshape(n, b * rows, d); // (N, M, D)
    NDArray shaped = weight.reshape(e, n, d); // (E, N, D), on the weight's manager until moved
    shaped.attach(context.getManager());
    NDArray projection = shaped.transpose(1, 2, 0); // (N, D, E)
    NDArray z = perHead.matMul(projection); // (N, M, E)
    return z.mul(realPositions(context.getManager(), batch, rows).reshape(1, b * rows, 1));
  }

  /** 1 for a real position, 0 for padding, (B·R); R = 1 is the first position of each row. */
  private static NDArray realPositions(NDManager scope, Batch batch, long rows) {
    int[] lengths = batch.lengths();
    float[] mask = new float[(int) (lengths.length * rows)];
    for (int i = 0; i < lengths.length; i++) {
      for (int t = 0; t < rows; t++) {
        mask[(int) (i * rows + t)] = rows == 1 || t < lengths[i] ? 1f : 0f;
      }
    }
    return scope.create(mask);
  }

  /** The gates of the model rescaled below {@code layer}, with 0/1 from {@code layer} on. */
  private static List<NDArray> gates(NDManager scope, double[][] scales, int layer) {
    List<NDArray> gates = new ArrayList<>(scales.length);
    for (int l = 0; l < scales.length; l++) {
      float[] values = new float[scales[l].length];
      for (int h = 0; h < values.length; h++) {
        values[h] = l < layer ? (float) scales[l][h] : scales[l][h] == 0 ? 0f : 1f;
      }
      gates.add(scope.create(values).reshape(1, values.length));
    }
    return gates;
  }

  private static void accumulate(double[][] into, float[] values) {
    int n = into.length;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        into[i][j] += values[i * n + j];
      }
    }
  }

  private static void accumulate(double[] into, float[] values) {
    for (int i = 0; i < into.length; i++) {
      into[i] += values[i];
    }
  }
}
