package io.headprune.pruning;

import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A run's account of its work: the phase it reports (re-reported by every batch of inner work, so
 * that a stop reaches it), and its passes done against its plan (§8), sent with each report to the
 * progress the run was given.
 */
final class RunProgress {

  /** The progress the run was given: besides phases, it hears the plan and the passes (§8). */
  private final Progress outer;

  /** Reports to {@link #outer}, remembering the phase and count, then sending the passes. */
  private final Progress reports;

  private Phase phase = Phase.LOAD;
  private long phaseDone;
  private long phaseTotal;

  /** What the run expects to do, passes per phase (null until it is planned). */
  private Plan plan;

  /** Passes done per phase (a scoring pass counted once, as the plan counts it). */
  private final Map<Phase, Long> passesDone = new EnumMap<>(Phase.class);

  /**
   * Passes the plan counted that the run did not need (identical head sets measured once, cached
   * evaluations): they no longer count as remaining.
   */
  private final Map<Phase, Long> passesSkipped = new EnumMap<>(Phase.class);

  /** Phases the run has finished: their unused planned passes no longer count as remaining. */
  private final Set<Phase> settled = EnumSet.noneOf(Phase.class);

  RunProgress(Progress outer) {
    this.outer = outer;
    this.reports =
        (name, done, total) -> {
          phase = name;
          phaseDone = done;
          phaseTotal = total;
          outer.report(name, done, total);
          sendPasses();
        };
  }

  /** Where the run's steps report their phases. */
  Progress reports() {
    return reports;
  }

  /** The phase last reported. */
  Phase phase() {
    return phase;
  }

  /** Tells the progress the run was given of a decision ({@code kind}: alpha, target). */
  void event(String kind, String detail) {
    outer.event(kind, detail);
  }

  /** The run's plan, sent to the progress it was given with the passes so far. */
  void plan(Plan plan) {
    this.plan = plan;
    outer.planned(plan.passes());
    sendPasses();
  }

  /** Passes done and remaining by the plan, in forward passes. */
  private void sendPasses() {
    if (plan == null) {
      return;
    }
    long done = 0;
    long remaining = 0;
    for (Phase each : Phase.values()) {
      long did = passesDone.getOrDefault(each, 0L);
      done += Plan.cost(each, did);
      if (!settled.contains(each)) {
        long left =
            plan.passes().getOrDefault(each, 0L) - did - passesSkipped.getOrDefault(each, 0L);
        remaining += Plan.cost(each, Math.max(0, left));
      }
    }
    outer.passes(done, remaining);
  }

  /** {@code passes} passes of {@code phase} were done outside a counted progress. */
  void done(Phase phase, long passes) {
    passesDone.merge(phase, passes, Long::sum);
  }

  /** {@code passes} passes of {@code phase} the plan counted were not needed. */
  void skipped(Phase phase, long passes) {
    if (passes > 0) {
      passesSkipped.merge(phase, passes, Long::sum);
    }
  }

  /** The phases of {@code phases} are finished. */
  void settle(Phase... phases) {
    settled.addAll(List.of(phases));
    sendPasses();
  }

  /**
   * {@code inner}, counting {@code passes} passes of {@code phase} as the work it is given to
   * reports its batches done.
   */
  Progress counting(Phase phase, long passes, Progress inner) {
    long[] counted = {0};
    return (name, done, total) -> {
      long now = total <= 0 ? passes : passes * Math.min(done, total) / total;
      if (now > counted[0]) {
        passesDone.merge(phase, now - counted[0], Long::sum);
        counted[0] = now;
      }
      inner.report(name, done, total);
    };
  }

  /** Progress of the unpruned model's pass over a data part: phase "dense". */
  Progress dense() {
    return (name, done, total) -> reports.report(Phase.DENSE, done, total);
  }

  /** Progress of work inside a step: each batch re-reports the step's own phase and count. */
  Progress within() {
    return (name, done, total) -> reports.report(phase, phaseDone, phaseTotal);
  }
}
