package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/** How heads are ranked for pruning; the lowest score is pruned first (§3.7). */
public enum Criterion {
  /** α·HIŜ + (1 − α)·(1 − AÊ). */
  HIES,
  /** Raw head importance score. */
  HIS,
  /** 1 − AÊ: diffuse (high-entropy) heads go first. */
  ENTROPY,
  /** Seeded uniform scores, the baseline. */
  RANDOM,
  /** L2 norm of the head's query/key/value rows and output columns. */
  L2;

  /** Parses a criterion name, case-insensitively. */
  public static Criterion parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("criterion '" + text + "' is not one of hies, his, entropy, random, l2");
    }
  }

  /** The lower-case name used in files and the API. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** One score per row of {@code table}, in its order. */
  public double[] scores(ScoreTable table, Supplier<double[][]> weightNorms, long seed) {
    List<HeadScore> heads = table.heads();
    double[] scores = new double[heads.size()];
    SplittableRandom random = new SplittableRandom(seed);
    double[][] norms = this == L2 ? weightNorms.get() : null;
    int[] firstIndexOfLayer = norms == null ? null : firstIndices(heads);
    for (int i = 0; i < scores.length; i++) {
      HeadScore head = heads.get(i);
      scores[i] =
          switch (this) {
            case HIES -> head.hies();
            case HIS -> head.his();
            case ENTROPY -> 1 - head.entropyNorm();
            case RANDOM -> random.nextDouble();
            case L2 -> norms[head.layer()][i - firstIndexOfLayer[head.layer()]];
          };
    }
    return scores;
  }

  private static int[] firstIndices(List<HeadScore> heads) {
    int layers = heads.get(heads.size() - 1).layer() + 1;
    int[] first = new int[layers];
    for (int i = heads.size() - 1; i >= 0; i--) {
      first[heads.get(i).layer()] = i;
    }
    return first;
  }
}
