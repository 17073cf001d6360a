package io.headprune.jobs;

import io.headprune.problem.InvalidInputException;
import io.headprune.pruning.PruneOptions;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import java.util.List;

/**
 * A job request with every default filled in, and the engine options it stands for.
 *
 * @param normalized the request as stored on the job (defaults explicit)
 * @param options the engine's options
 */
record JobSpec(JobRequest normalized, PruneOptions options) {

  static final List<String> DEFAULT_CRITERIA = List.of("hies", "his", "random");
  static final List<Double> DEFAULT_SPARSITIES = List.of(0.1, 0.3, 0.5);

  /** Applies the defaults of ARCHITECTURE.md §6 and builds (and so validates) the options. */
  static JobSpec of(JobRequest r) {
    if (r.model().id() == null && r.model().hub() == null) {
      throw new InvalidInputException("model needs an \"id\" or a \"hub\" repository");
    }
    if (r.model().id() != null && r.model().hub() != null) {
      throw new InvalidInputException("model takes an \"id\" or a \"hub\" repository, not both");
    }
    JobRequest.Target target = r.target() == null ? new JobRequest.Target(0.3, null) : r.target();
    if ((target.sparsity() == null) == (target.maxMetricDrop() == null)) {
      throw new InvalidInputException("target needs exactly one of sparsity and maxMetricDrop");
    }
    JobRequest.ModelRef model =
        r.model().hub() == null
            ? r.model()
            : new JobRequest.ModelRef(
                null,
                r.model().hub(),
                r.model().revision() == null ? "main" : r.model().revision());
    JobRequest normalized =
        new JobRequest(
            model,
            r.calibration(),
            r.evaluation(),
            r.criteria() == null ? DEFAULT_CRITERIA : r.criteria(),
            r.criterion() == null ? "hies" : r.criterion(),
            r.sparsities() == null ? DEFAULT_SPARSITIES : r.sparsities(),
            target,
            r.alpha() == null ? "0.5" : r.alpha(),
            r.normalization() == null ? "global" : r.normalization(),
            r.seeds() == null ? 5 : r.seeds(),
            r.calibrationSize() == null ? 32 : r.calibrationSize(),
            r.maxLength() == null ? 128 : r.maxLength(),
            r.batchSize() == null ? 16 : r.batchSize(),
            r.minHeadsPerLayer() == null ? 1 : r.minHeadsPerLayer(),
            r.metric(),
            selection(r).equals("iterative"),
            r.step() == null ? 0.1 : r.step(),
            selection(r),
            r.keepLoadableBy() == null ? "v4" : r.keepLoadableBy(),
            "auto".equals(r.alpha()) && r.alphaBy() == null ? "divergence" : r.alphaBy());
    PruneOptions options =
        new PruneOptions(
            normalized.criteria().stream().map(Criterion::parse).toList(),
            Criterion.parse(normalized.criterion()),
            normalized.sparsities(),
            new PruneOptions.Target(target.sparsity(), target.maxMetricDrop(), 0.05),
            io.headprune.pruning.PruneOptions.parseAlpha(normalized.alpha(), normalized.alphaBy()),
            Normalization.parse(normalized.normalization()),
            normalized.seeds(),
            normalized.calibrationSize(),
            normalized.maxLength(),
            normalized.batchSize(),
            normalized.minHeadsPerLayer(),
            normalized.metric() == null ? null : Metric.parse(normalized.metric()),
            0.2,
            0.3,
            true,
            normalized.iterative(),
            normalized.step(),
            normalized.selection().equals("uniform-groups"),
            normalized.keepLoadableBy().equals("v5"));
    return new JobSpec(normalized, options);
  }

  /** The selection a request asks for; the older {@code iterative: true} means iterative. */
  private static String selection(JobRequest r) {
    boolean iterative = r.iterative() != null && r.iterative();
    if (r.selection() == null) {
      return iterative ? "iterative" : "one-shot";
    }
    if (iterative && !r.selection().equals("iterative")) {
      throw new InvalidInputException("iterative: true conflicts with selection " + r.selection());
    }
    return r.selection();
  }
}
