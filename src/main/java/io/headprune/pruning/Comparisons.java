package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.pruning.Evaluations.Evaluation;
import io.headprune.pruning.Evaluations.Part;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.Metric;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.Splits;
import java.util.ArrayList;
import java.util.List;

/** Calibration sets compared with a run's own: scored, selected and evaluated as its own is. */
final class Comparisons {

  private final HeadModel model;
  private final PruneOptions options;
  private final Metric metric;
  private final HeadSelection selection;
  private final Evaluations evaluations;
  private final Part evaluation;
  private final RunProgress account;
  private final int poolSize;
  private final int poolRows;
  private final int calibrationPerSeed;

  /**
   * @param poolSize examples of the run's own calibration part
   * @param poolRows rows its file had
   * @param calibrationPerSeed examples each of its seeds drew
   */
  Comparisons(
      HeadModel model,
      PruneOptions options,
      HeadSelection selection,
      Evaluations evaluations,
      Part evaluation,
      RunProgress account,
      int poolSize,
      int poolRows,
      int calibrationPerSeed) {
    this.model = model;
    this.options = options;
    this.metric = evaluations.metric();
    this.selection = selection;
    this.evaluations = evaluations;
    this.evaluation = evaluation;
    this.account = account;
    this.poolSize = poolSize;
    this.poolRows = poolRows;
    this.calibrationPerSeed = calibrationPerSeed;
  }

  /**
   * A calibration set compared with the run's own.
   *
   * @param name how the report names it ({@code calibrations[1]})
   * @param source what it is: a file, a stored dataset or a Hub split
   * @param pool its examples (sampled when the file had more than a pool holds)
   * @param rows the rows its file had
   */
  record ComparedSet(String name, String source, List<Encoded> pool, int rows) {}

  /**
   * Calibration sets compared in one run. Each set — the run's own first — is scored on its own
   * seeded draws of the run's calibration size (the same draw rule as the run's), its heads
   * selected by the artifact's criterion at every sparsity (at that sparsity's α), and each
   * selection evaluated on the run's evaluation part. Per sparsity: each set's metric (mean ± std
   * over seeds), the mean Jaccard of its own seeds' selections, and for every two sets the mean
   * Jaccard between their selections over all pairs of seeds — to hold against the within-set
   * figure: data matters when sets disagree more than seeds do.
   */
  PruneReport.CalibrationComparison compare(
      String ownSource, List<ComparedSet> others, SeedScores own, AlphaSearch alphas) {
    Criterion criterion = options.criterion();
    int seeds = own.perSeed().size();
    List<PruneReport.CalibrationSet> sets = new ArrayList<>();
    List<List<RawScores>> scores = new ArrayList<>();
    List<List<List<Encoded>>> draws = new ArrayList<>();
    sets.add(
        new PruneReport.CalibrationSet(
            "calibration", ownSource, poolSize, poolRows, calibrationPerSeed));
    scores.add(own.perSeed());
    draws.add(own.samples());
    int wanted = options.calibrationSize() == null ? Integer.MAX_VALUE : options.calibrationSize();
    long steps = (long) others.size() * seeds;
    for (int k = 0; k < others.size(); k++) {
      ComparedSet other = others.get(k);
      Splits all = Splits.of(other.pool().size(), 0, 0);
      int count = Math.min(wanted, other.pool().size());
      sets.add(
          new PruneReport.CalibrationSet(
              other.name(), other.source(), other.pool().size(), other.rows(), count));
      List<RawScores> setScores = new ArrayList<>();
      List<List<Encoded>> setDraws = new ArrayList<>();
      for (int seed = 0; seed < seeds; seed++) {
        List<Encoded> sample = all.sample(count, seed).stream().map(other.pool()::get).toList();
        long step = (long) k * seeds + seed;
        setDraws.add(sample);
        setScores.add(
            HeadScorer.score(
                model,
                sample,
                options.batchSize(),
                account.counting(
                    Phase.COMPARE,
                    sample.size(),
                    (phase, done, total) ->
                        account
                            .reports()
                            .report(Phase.COMPARE, step * total + done, steps * total))));
      }
      scores.add(setScores);
      draws.add(setDraws);
    }
    List<Double> sparsities = options.sparsities();
    // selections[set][sparsity][seed]
    List<List<List<List<HeadRef>>>> selections = new ArrayList<>();
    List<List<HeadRef>> everySet = new ArrayList<>();
    for (int set = 0; set < sets.size(); set++) {
      List<List<List<HeadRef>>> bySparsity = new ArrayList<>();
      for (double sparsity : sparsities) {
        List<List<HeadRef>> bySeed = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
          bySeed.add(
              selection.select(
                  criterion,
                  seed,
                  sparsity,
                  alphas.at(sparsity),
                  scores.get(set).get(seed),
                  draws.get(set).get(seed)));
        }
        everySet.addAll(bySeed);
        bySparsity.add(bySeed);
      }
      selections.add(bySparsity);
    }
    evaluations.evaluateAll(everySet, evaluation, everySet.size(), Phase.COMPARE);
    List<PruneReport.CalibrationRow> rows = new ArrayList<>();
    List<PruneReport.CalibrationOverlap> overlaps = new ArrayList<>();
    for (int s = 0; s < sparsities.size(); s++) {
      for (int set = 0; set < sets.size(); set++) {
        List<List<HeadRef>> bySeed = selections.get(set).get(s);
        double[] values = new double[seeds];
        double[] agreements = new double[seeds];
        for (int seed = 0; seed < seeds; seed++) {
          Evaluation result = evaluations.evaluate(bySeed.get(seed), evaluation);
          values[seed] = result.value();
          agreements[seed] = result.agreement();
        }
        double mean = Summaries.mean(values);
        double agreement = Summaries.mean(agreements);
        rows.add(
            new PruneReport.CalibrationRow(
                sets.get(set).name(),
                sparsities.get(s),
                mean,
                Summaries.sampleStd(values, mean),
                values,
                agreement,
                Summaries.jaccardWithin(bySeed)));
      }
      for (int a = 0; a < sets.size(); a++) {
        for (int b = a + 1; b < sets.size(); b++) {
          overlaps.add(
              new PruneReport.CalibrationOverlap(
                  sparsities.get(s),
                  sets.get(a).name(),
                  sets.get(b).name(),
                  Summaries.jaccardBetween(selections.get(a).get(s), selections.get(b).get(s))));
        }
      }
    }
    return new PruneReport.CalibrationComparison(
        criterion.id(),
        seeds,
        sets,
        rows,
        overlaps,
        Summaries.calibrationVerdict(rows, overlaps, metric, seeds));
  }
}
