package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

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
    if (text == null) {
      throw new InvalidInputException("a criterion is null; use hies, his, entropy, random or l2");
    }
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          "criterion '" + text + "' is not one of hies, his, entropy, random, l2");
    }
  }

  /** The lower-case name used in files and the API. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * One score per row of {@code table}, in its order; {@code weightNorm} is read for {@code l2}
   * only.
   */
  public double[] scores(ScoreTable table, ToDoubleFunction<HeadRef> weightNorm, long seed) {
    List<HeadScore> heads = table.heads();
    double[] scores = new double[heads.size()];
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < scores.length; i++) {
      HeadScore head = heads.get(i);
      scores[i] =
          switch (this) {
            case HIES -> head.hies();
            case HIS -> head.his();
            case ENTROPY -> 1 - head.entropyNorm();
            case RANDOM -> random.nextDouble();
            case L2 -> weightNorm.applyAsDouble(head.ref());
          };
    }
    return scores;
  }

  /** The L2 norms of a model's heads, by head, for {@link #scores}. */
  public static ToDoubleFunction<HeadRef> weightNorms(int[][] heads, double[][] norms) {
    Map<HeadRef, Double> byHead = new HashMap<>();
    for (int l = 0; l < heads.length; l++) {
      for (int i = 0; i < heads[l].length; i++) {
        byHead.put(new HeadRef(l, heads[l][i]), norms[l][i]);
      }
    }
    return byHead::get;
  }
}
