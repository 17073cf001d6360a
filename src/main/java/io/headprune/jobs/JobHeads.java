package io.headprune.jobs;

import java.util.List;

/**
 * A succeeded job's heads as its {@code head_scores} rows hold them: each head's scores the
 * artifact was selected with, whether it was pruned, and its scores under every seed's calibration
 * draw, with HIES's mean and sample standard deviation across the seeds (how stable its rank is).
 *
 * @param seeds how many seeds scored the model
 * @param heads one entry per head, by layer then head
 */
public record JobHeads(int seeds, List<JobHead> heads) {

  /**
   * One head.
   *
   * @param selected the scores the artifact was selected with (scores.json's row)
   * @param perSeed the scores of seed 0, 1, … in order
   * @param hiesMean mean HIES across the seeds
   * @param hiesStd sample standard deviation (n − 1) of HIES across the seeds; NaN for one seed
   */
  public record JobHead(
      int layer,
      int head,
      boolean pruned,
      HeadScoring selected,
      List<HeadScoring> perSeed,
      double hiesMean,
      double hiesStd) {}

  /** One scoring of a head (the HIES paper's quantities; norm = min-max over the model's heads). */
  public record HeadScoring(
      double his, double entropy, double hisNorm, double entropyNorm, double hies) {
    static HeadScoring of(HeadScoreEntity row) {
      return new HeadScoring(row.his, row.entropy, row.hisNorm, row.entropyNorm, row.hies);
    }
  }
}
