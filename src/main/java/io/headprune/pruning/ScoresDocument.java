package io.headprune.pruning;

import io.headprune.scoring.HeadScore;
import io.headprune.scoring.ScoreTable;
import java.util.List;
import java.util.Locale;

/**
 * The contents of {@code scores.json} (ARCHITECTURE.md §5).
 *
 * @param model the scored model
 * @param examples calibration examples scored
 * @param alpha HIES weight
 * @param normalization global or layer
 * @param heads one row per head
 */
public record ScoresDocument(
    ModelInfo model, int examples, double alpha, String normalization, List<HeadScore> heads) {

  /** The document for {@code table}. */
  public static ScoresDocument of(ModelInfo model, ScoreTable table) {
    return new ScoresDocument(
        model,
        table.examples(),
        table.alpha(),
        table.normalization().name().toLowerCase(Locale.ROOT),
        table.heads());
  }
}
