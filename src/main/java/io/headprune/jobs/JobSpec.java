package io.headprune.jobs;

import io.headprune.checkpoint.Columns;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.Recipe;
import io.headprune.problem.InvalidInputException;
import io.headprune.pruning.PruneOptions;
import io.headprune.pruning.Recovery;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A job request with every default filled in, and the engine options it stands for.
 *
 * @param normalized the request as stored on the job (defaults explicit)
 * @param options the engine's options
 */
record JobSpec(JobRequest normalized, PruneOptions options) {

  /** Every default of a job, from the one place that keeps them. */
  private static final PruneOptions DEFAULTS = PruneOptions.defaults();

  /** Applies the defaults of ARCHITECTURE.md §6 and builds (and so validates) the options. */
  static JobSpec of(JobRequest r) {
    return of(r, r.pool());
  }

  /** As {@link #of(JobRequest)}, the job run by worker pool {@code pool}. */
  static JobSpec of(JobRequest r, String pool) {
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
    List<JobRequest.DatasetRef> compared =
        r.calibrations() == null ? List.of() : List.copyOf(r.calibrations());
    JobRequest.DatasetRef calibration = r.calibration();
    if (calibration == null) {
      if (compared.isEmpty()) {
        throw new InvalidInputException("calibration is required");
      }
      calibration = compared.get(0);
      compared = compared.subList(1, compared.size());
    }
    if (!compared.isEmpty() && r.evaluation() == null) {
      throw new InvalidInputException(
          "calibrations: comparing calibration sets needs an \"evaluation\" dataset that all of"
              + " them are measured on");
    }
    checkData(calibration, "calibration");
    for (int i = 0; i < compared.size(); i++) {
      String role = "calibrations[" + (i + 1) + "]";
      checkData(compared.get(i), role);
      if (compared.get(i).task() != null) {
        throw new InvalidInputException(role + ".task: calibrate on text, not task items");
      }
    }
    if (r.evaluation() != null) {
      checkData(r.evaluation(), "evaluation");
    }
    if (calibration.task() != null) {
      throw new InvalidInputException(
          "calibration.task: a task formats multiple-choice evaluation items; calibrate on text"
              + " (for a causal LM, e.g. recipe segments)");
    }
    JobRequest normalized =
        new JobRequest(
            model,
            calibration,
            r.evaluation(),
            r.criteria() == null
                ? DEFAULTS.criteria().stream().map(Criterion::id).toList()
                : r.criteria(),
            r.criterion() == null ? DEFAULTS.criterion().id() : r.criterion(),
            r.sparsities() == null ? DEFAULTS.sparsities() : r.sparsities(),
            target,
            r.alpha() == null ? String.valueOf(DEFAULTS.fixedAlpha()) : r.alpha(),
            r.normalization() == null
                ? DEFAULTS.normalization().name().toLowerCase(Locale.ROOT)
                : r.normalization(),
            r.seeds() == null ? DEFAULTS.seeds() : r.seeds(),
            r.calibrationSize() == null ? DEFAULTS.calibrationSize() : r.calibrationSize(),
            r.maxLength() == null ? DEFAULTS.maxLength() : r.maxLength(),
            r.batchSize() == null ? DEFAULTS.batchSize() : r.batchSize(),
            r.minHeadsPerLayer() == null ? DEFAULTS.minHeadsPerLayer() : r.minHeadsPerLayer(),
            r.metric(),
            selection(r).equals("iterative"),
            r.step() == null ? 0.1 : r.step(),
            selection(r),
            r.keepLoadableBy() == null ? "v4" : r.keepLoadableBy(),
            "auto".equals(r.alpha()) && r.alphaBy() == null ? "divergence" : r.alphaBy(),
            // the secret is stored apart, encrypted: the stored request keeps the URL only
            r.callback() == null ? null : new JobRequest.Callback(r.callback().url(), null),
            r.labelMapping() == null ? "check" : r.labelMapping(),
            compared.isEmpty() ? null : compared,
            r.recovery() == null ? DEFAULTS.recovery().id() : r.recovery(),
            r.name(),
            r.labels() == null ? Map.of() : ResourceLabels.checked(r.labels(), "labels"),
            r.externalId(),
            pool);
    PruneOptions options =
        PruneOptions.defaults().toBuilder()
            .criteria(normalized.criteria().stream().map(Criterion::parse).toList())
            .criterion(Criterion.parse(normalized.criterion()))
            .sparsities(normalized.sparsities())
            .target(PruneOptions.Target.of(target.sparsity(), target.maxMetricDrop()))
            .alpha(PruneOptions.parseAlpha(normalized.alpha(), normalized.alphaBy()))
            .normalization(Normalization.parse(normalized.normalization()))
            .seeds(normalized.seeds())
            .calibrationSize(normalized.calibrationSize())
            .maxLength(normalized.maxLength())
            .batchSize(normalized.batchSize())
            .minHeadsPerLayer(normalized.minHeadsPerLayer())
            .metric(normalized.metric() == null ? null : Metric.parse(normalized.metric()))
            .selection(typedSelection(normalized))
            .recovery(Recovery.parse(normalized.recovery()))
            .build();
    return new JobSpec(normalized, options);
  }

  /** The typed selection of a normalised request. */
  private static PruneOptions.Selection typedSelection(JobRequest normalized) {
    if (!normalized.keepLoadableBy().equals("v4")
        && !normalized.selection().equals("uniform-groups")) {
      throw new InvalidInputException("keepLoadableBy applies to uniform-groups selection only");
    }
    return switch (normalized.selection()) {
      case "iterative" -> new PruneOptions.Selection.Iterative(normalized.step());
      case "uniform-groups" ->
          PruneOptions.Selection.UniformGroups.keepLoadableBy(normalized.keepLoadableBy());
      default -> new PruneOptions.Selection.OneShot();
    };
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

  /**
   * How a run reads a stored dataset: the request's column mapping and recipe ({@code maxLength} is
   * the default window of the token recipes).
   */
  static DataSource source(Path path, JobRequest.DatasetRef ref, int maxLength) {
    Columns columns = new Columns(ref == null ? null : ref.columns());
    Recipe recipe = recipe(ref, maxLength);
    return new DataSource(path, path.getFileName().toString(), columns, recipe);
  }

  /** The recipe a dataset reference asks for (validated on submission). */
  static Recipe recipe(JobRequest.DatasetRef ref, int maxLength) {
    return ref == null
        ? Recipe.EXAMPLES
        : Recipe.of(ref.recipe(), ref.segments(), ref.tokens(), ref.seed(), ref.task(), maxLength);
  }

  /** A dataset reference's columns and recipe, checked on submission (422 naming the role). */
  private static void checkData(JobRequest.DatasetRef ref, String role) {
    try {
      new Columns(ref.columns());
      recipe(ref, PruneOptions.MIN_LENGTH);
    } catch (InvalidInputException e) {
      throw new InvalidInputException(role + ": " + e.getMessage());
    }
  }
}
