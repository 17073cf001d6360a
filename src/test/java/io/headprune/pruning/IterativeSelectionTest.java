package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.scoring.Criterion;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Normalization;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.ScoreTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Iterative selection re-scores after each step. Two layers of two heads, importance (HIS) 0.1, 0.2
 * | 0.3, 0.9: one-shot removes the two least important, both of layer 0. Once head (0, 0) is gone,
 * (0, 1) carries layer 0 alone and scores 5.0 — so the second step removes (1, 0) instead. A
 * selection that does not re-score cannot give that answer.
 */
class IterativeSelectionTest {

  private static RawScores scores(double h00, double h01, double h10, double h11) {
    return new RawScores(
        new int[][] {{0, 1}, {0, 1}},
        new double[][] {{h00, h01}, {h10, h11}},
        new double[][] {{0.5, 0.5}, {0.5, 0.5}},
        32);
  }

  @Test
  void reScoringChangesTheSecondChoice() {
    PruneOptions options =
        TestOptions.small()
            .alpha(new Alpha.Fixed(1.0))
            .minHeadsPerLayer(0)
            .selection(new PruneOptions.Selection.Iterative(0.25))
            .build();
    RawScores first = scores(0.1, 0.2, 0.3, 0.9);
    List<Set<HeadRef>> asked = new ArrayList<>();
    List<HeadRef> iterative =
        HeadSelection.iterative(
            Criterion.HIES,
            0,
            0.5,
            1.0,
            ScoreTable.of(first, 1.0, Normalization.GLOBAL),
            pruned -> {
              asked.add(Set.copyOf(pruned));
              return scores(0.1, pruned.contains(new HeadRef(0, 0)) ? 5.0 : 0.2, 0.3, 0.9);
            },
            options,
            head -> 1.0);
    assertThat(iterative).containsExactly(new HeadRef(0, 0), new HeadRef(1, 0));
    assertThat(asked)
        .containsExactly(
            Set.of(new HeadRef(0, 0))); // re-scored once, with the first head gated off

    List<HeadRef> oneShot =
        Pruner.select(
            Criterion.HIES,
            ScoreTable.of(first, 1.0, Normalization.GLOBAL),
            head -> 1.0,
            0,
            0.5,
            0);
    assertThat(oneShot).containsExactlyInAnyOrder(new HeadRef(0, 0), new HeadRef(0, 1));
    assertThat(Set.copyOf(iterative)).isNotEqualTo(Set.copyOf(oneShot));
  }
}
