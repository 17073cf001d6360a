package io.headprune.jobs;

import io.headprune.pruning.PruneReport;
import java.util.List;

/** A succeeded job's evaluations (criterion × sparsity × seed) as its database rows hold them. */
public record JobEvaluations(List<PruneReport.EvaluationRow> evaluations) {}
