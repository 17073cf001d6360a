package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import io.headprune.scoring.Criterion;
import io.headprune.support.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's plan before it runs, and a run held against it (§8). */
class PlanTest {

  private static final Path MODEL = Fixtures.tinyBert();

  /** The time-to-answer issue's example: 4 criteria × 3 sparsities × 3 seeds, α auto, a budget. */
  private static PruneOptions example() {
    return TestOptions.small()
        .criteria(List.of(Criterion.HIES, Criterion.HIS, Criterion.ENTROPY, Criterion.RANDOM))
        .sparsities(List.of(0.25, 0.5, 0.75))
        .seeds(3)
        .calibrationSize(32)
        .alpha(new Alpha.Auto(Alpha.Rule.DIVERGENCE))
        .target(new PruneOptions.Target.MetricBudget(0.02, 0.05))
        .build();
  }

  @Test
  void theExampleJobsPlanCountsEveryPhaseAndItsSearchesByTheirBound() {
    // a 256-row pool, an evaluation set of 281: every pool example is calibration, 224 held out,
    // of which α measures on 64 a seed (Run.HELD_OUT_CAP)
    Plan plan = Plan.of(example(), 256, 281, List.of());
    assertThat(plan.passes())
        .containsExactly(
            Map.entry(Phase.DENSE, 281L + 3 * 64), // the evaluation set, each seed's held-out
            Map.entry(Phase.SCORE, 3L * 32),
            // 3 grid sparsities + ⌈log₂ 20⌉ = 5 bisection points + 2 past, 11 α, 3 seeds, 64 each
            Map.entry(Phase.ALPHA, (3L + 5 + 2) * 11 * 3 * 64),
            Map.entry(Phase.TARGET, 7L * 3 * 281),
            Map.entry(Phase.EVALUATE, (36L + 1) * 281));
    assertThat(plan.total()).isEqualTo(37_987);
    assertThat(plan.cost()).isEqualTo(37_987 + 2 * 96);
    assertThat(plan.largest()).isEqualTo(Phase.ALPHA);
    // a fixed α has no α phase; without an evaluation set, 30 % of the pool is held out
    Plan fixed =
        Plan.of(
            TestOptions.small()
                .criteria(List.of(Criterion.HIES))
                .sparsities(List.of(0.5))
                .seeds(2)
                .calibrationSize(null)
                .alpha(new Alpha.Fixed(0.5))
                .target(PruneOptions.Target.sparsity(0.5))
                .build(),
            100,
            null,
            List.of());
    assertThat(fixed.passes())
        .containsExactly(
            Map.entry(Phase.DENSE, 30L), // round(0.3 × 100) held out for evaluation
            Map.entry(Phase.SCORE, 2L * 70), // the rest, whole, per seed
            Map.entry(Phase.EVALUATE, (2L + 1) * 30));
  }

  @Test
  void aPlanOverTheServicesLimitIsRefusedNamingWhatToChange() {
    Plan plan = Plan.of(example(), 256, 281, List.of());
    plan.checkWithin(37_987);
    assertThatThrownBy(() -> plan.checkWithin(20_000))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("37,987 passes")
        .hasMessageContaining("alpha 21,120")
        .hasMessageContaining("headprune.jobs.max-passes")
        .hasMessageContaining("most are in alpha: change alpha");
  }

  /** What a run tells its progress about its plan and passes. */
  private static final class Recording implements Progress {
    Map<Phase, Long> planned;
    final List<long[]> passes = new ArrayList<>();

    @Override
    public void report(Phase phase, long done, long total) {}

    @Override
    public void planned(Map<Phase, Long> passes) {
      planned = passes;
    }

    @Override
    public void passes(long done, long remaining) {
      passes.add(new long[] {done, remaining});
    }
  }

  @Test
  void aRunDoesAtMostItsPlanAndItsShareDoneOnlyGrows() {
    PruneOptions options =
        TestOptions.small()
            .criteria(List.of(Criterion.HIES, Criterion.RANDOM))
            .sparsities(List.of(0.25, 0.5))
            .seeds(2)
            .calibrationSize(24)
            .alpha(new Alpha.Auto(Alpha.Rule.DIVERGENCE))
            .target(new PruneOptions.Target.MetricBudget(0.05, 0.125))
            .build();
    Recording recording = new Recording();
    Pruner.prune(
        PruneRequest.of(MODEL, MODEL.resolve("calib.jsonl"), null, options).reporting(recording));
    assertThat(recording.planned).isNotNull();
    Plan plan = new Plan(recording.planned);
    assertThat(plan.passes().get(Phase.SCORE)).isEqualTo(2 * 24);
    long[] last = recording.passes.get(recording.passes.size() - 1);
    assertThat(last[1]).as("nothing remains at the end").isZero();
    assertThat(last[0]).as("passes done").isPositive().isLessThanOrEqualTo(plan.cost());
    // the scoring passes are exact, and the α search measured something
    assertThat(last[0]).isGreaterThan(Plan.cost(Phase.SCORE, 2 * 24));
    double before = 0;
    for (long[] point : recording.passes) {
      double fraction = (double) point[0] / (point[0] + point[1]);
      assertThat(fraction).isGreaterThanOrEqualTo(before);
      before = fraction;
    }
    assertThat(before).isEqualTo(1.0);
  }
}
