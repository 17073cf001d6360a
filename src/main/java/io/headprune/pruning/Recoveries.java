package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.pruning.Evaluations.Evaluation;
import io.headprune.pruning.Evaluations.Part;
import io.headprune.pruning.PruneReport.EvaluationRow;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Rescaling;
import io.headprune.scoring.ScaledHeads;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's recovery by rescaling (§4): every grid cell's kept heads rescaled on its seed's
 * calibration sample and evaluated beside the plain cell, the fits timed, and the rows paired by
 * seed for the report.
 */
final class Recoveries {

  private final HeadModel model;
  private final PruneOptions options;
  private final Metric metric;
  private final Evaluations evaluations;
  private final Part evaluation;
  private final RunProgress account;

  Recoveries(
      HeadModel model,
      PruneOptions options,
      Evaluations evaluations,
      Part evaluation,
      RunProgress account) {
    this.model = model;
    this.options = options;
    this.metric = evaluations.metric();
    this.evaluations = evaluations;
    this.evaluation = evaluation;
    this.account = account;
  }

  /** Fits of rescaling so far, and the time they took. */
  private int fits;

  private long fitNanos;

  /**
   * Every cell's head set rescaled on its seed's calibration sample and evaluated: rows named
   * {@code <criterion>+rescale} (identical sets of one seed are fitted once; an empty set is the
   * unpruned model, which rescaling leaves as it is).
   */
  List<EvaluationRow> recoverAll(List<Run.Cell> cells, SeedScores scores) {
    Map<List<Object>, Evaluation> done = new HashMap<>();
    List<EvaluationRow> rows = new ArrayList<>();
    long step = 0;
    for (Run.Cell cell : cells) {
      account.reports().report(Phase.RECOVER, step++, cells.size());
      Evaluation result =
          cell.heads().isEmpty()
              ? evaluations.evaluate(cell.heads(), evaluation)
              : done.computeIfAbsent(
                  List.of(cell.seed(), cell.heads()),
                  key ->
                      evaluations.evaluateScaled(
                          fit(scores.samples().get(cell.seed()), cell.heads()), evaluation));
      rows.add(
          cell.row(Summaries.rowName(cell.criterion().id(), Recovery.RESCALE), result, metric));
    }
    account.reports().report(Phase.RECOVER, cells.size(), cells.size());
    return rows;
  }

  /** The rescaling of {@code heads} pruned, fitted on {@code calibration}; timed. */
  ScaledHeads fit(List<Encoded> calibration, List<HeadRef> heads) {
    long start = System.nanoTime();
    ScaledHeads scales = Rescaling.fit(model, calibration, heads, options.batchSize());
    account.done(Phase.RECOVER, calibration.size());
    fitNanos += System.nanoTime() - start;
    fits++;
    return scales;
  }

  /** Every example of {@code samples} once, in first-seen order. */
  static List<Encoded> union(List<List<Encoded>> samples) {
    Set<Encoded> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Encoded> union = new ArrayList<>();
    for (List<Encoded> sample : samples) {
      for (Encoded example : sample) {
        if (seen.add(example)) {
          union.add(example);
        }
      }
    }
    return union;
  }

  /** Per criterion and sparsity, the seeds' metric without and with rescaling, paired by seed. */
  PruneReport.RecoveryReport report(List<EvaluationRow> rows) {
    List<PruneReport.RecoveryRow> paired = new ArrayList<>();
    for (Criterion criterion : options.criteria()) {
      for (double sparsity : options.sparsities()) {
        double[] plain = new double[options.seeds()];
        double[] rescaled = new double[options.seeds()];
        for (EvaluationRow row : rows) {
          if (row.sparsity() != sparsity) {
            continue;
          }
          if (row.criterion().equals(criterion.id())) {
            plain[row.seed()] = row.value();
          } else if (row.criterion().equals(Summaries.rowName(criterion.id(), Recovery.RESCALE))) {
            rescaled[row.seed()] = row.value();
          }
        }
        int better = 0;
        int worse = 0;
        for (int seed = 0; seed < plain.length; seed++) {
          if (metric.better(rescaled[seed], plain[seed])) {
            better++;
          } else if (metric.better(plain[seed], rescaled[seed])) {
            worse++;
          }
        }
        paired.add(
            new PruneReport.RecoveryRow(
                criterion.id(),
                sparsity,
                Summaries.spread(plain),
                Summaries.spread(rescaled),
                better,
                worse));
      }
    }
    return new PruneReport.RecoveryReport(
        Recovery.RESCALE.id(),
        Rescaling.RIDGE,
        fits,
        fitNanos / 1e9,
        paired,
        Summaries.recoveryVerdict(paired, metric));
  }
}
