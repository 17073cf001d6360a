package io.headprune.scoring;

import io.headprune.problem.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Every head's HIS, entropy, normalised values and HIES (§3.5–3.6) for one α and normalisation.
 *
 * @param heads one row per head, in (layer, head) order
 * @param alpha the HIES weight α in [0, 1]
 * @param normalization global or per layer
 * @param examples number of calibration examples scored
 */
public record ScoreTable(
    List<HeadScore> heads, double alpha, Normalization normalization, int examples) {

  public ScoreTable {
    heads = List.copyOf(heads);
  }

  /** Combines raw scores into HIES with weight {@code alpha}. */
  public static ScoreTable of(RawScores raw, double alpha, Normalization normalization) {
    return of(raw, alpha, normalization, Set.of());
  }

  /**
   * Combines raw scores of the heads not in {@code excluded} (already pruned) into HIES:
   * normalisation runs over the remaining heads only.
   */
  public static ScoreTable of(
      RawScores raw, double alpha, Normalization normalization, Set<HeadRef> excluded) {
    if (!excluded.isEmpty()) {
      raw = raw.without(excluded);
    }
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new InvalidInputException("alpha " + alpha + " is outside [0, 1]");
    }
    double[][] hisNorm = normalization.apply(raw.his());
    double[][] entropyNorm = normalization.apply(raw.entropy());
    List<HeadScore> rows = new ArrayList<>();
    for (int l = 0; l < raw.heads().length; l++) {
      for (int i = 0; i < raw.heads()[l].length; i++) {
        double hies = alpha * hisNorm[l][i] + (1 - alpha) * (1 - entropyNorm[l][i]);
        rows.add(
            new HeadScore(
                l,
                raw.heads()[l][i],
                raw.his()[l][i],
                raw.entropy()[l][i],
                hisNorm[l][i],
                entropyNorm[l][i],
                hies));
      }
    }
    return new ScoreTable(rows, alpha, normalization, raw.examples());
  }
}
