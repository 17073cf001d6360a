package io.headprune.pruning;

import io.headprune.model.HeadModel;
import io.headprune.progress.Phase;
import io.headprune.scoring.Encoded;
import io.headprune.scoring.HeadScorer;
import io.headprune.scoring.RawScores;
import io.headprune.scoring.Splits;
import java.util.ArrayList;
import java.util.List;

/**
 * Every seed's head scores on its own seeded draw of the calibration part.
 *
 * @param perSeed the scores, by seed
 * @param samples the examples each seed drew
 * @param hashes per seed, the hash of its draw's pool indices ({@link
 *     PruneReport.DataSizes#samples})
 */
record SeedScores(List<RawScores> perSeed, List<List<Encoded>> samples, List<String> hashes) {

  SeedScores {
    perSeed = List.copyOf(perSeed);
    samples = List.copyOf(samples);
    hashes = List.copyOf(hashes);
  }

  /**
   * Scores {@code options.seeds()} draws of {@code perSeed} examples from {@code splits}'
   * calibration part of {@code pool} (phase "score": one count over all seeds).
   */
  static SeedScores score(
      HeadModel model,
      PruneOptions options,
      List<Encoded> pool,
      Splits splits,
      int perSeed,
      RunProgress account) {
    List<RawScores> scores = new ArrayList<>();
    List<List<Encoded>> samples = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    for (int seed = 0; seed < options.seeds(); seed++) {
      List<Integer> indices = splits.sample(perSeed, seed);
      hashes.add(PruneReport.DataSizes.sampleHash(indices));
      List<Encoded> sample = indices.stream().map(pool::get).toList();
      samples.add(sample);
      int current = seed;
      scores.add(
          HeadScorer.score(
              model,
              sample,
              options.batchSize(),
              account.counting(
                  Phase.SCORE,
                  sample.size(),
                  (phase, done, total) ->
                      account
                          .reports()
                          .report(
                              phase,
                              (long) current * total + done,
                              (long) options.seeds() * total))));
    }
    return new SeedScores(scores, samples, hashes);
  }

  /** The seeds' mean scores. */
  RawScores mean() {
    return Pruner.mean(perSeed);
  }
}
