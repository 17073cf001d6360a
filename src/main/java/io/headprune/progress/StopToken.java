package io.headprune.progress;

import java.util.Map;
import java.util.Optional;

/**
 * A request that a run stop, set by whoever runs it (a cancel found, the attempt lost, the worker
 * shutting down) and checked by the engine after each batch it reports: the run unwinds by {@link
 * RunStopped} from there, never mid-batch. The first reason given wins.
 */
public final class StopToken {

  /** Why a run stops. */
  public enum Reason {
    /** The job was cancelled (or deleted). */
    CANCELLED,
    /** A later attempt owns the job (revived elsewhere while this one was paused). */
    LOST,
    /** The worker shuts down: the job goes back to the queue. */
    SHUTDOWN
  }

  private volatile Reason reason;

  /** A token nobody has asked to stop yet. */
  public StopToken() {}

  /** Asks the run to stop for {@code why} (ignored once a reason is set). */
  public synchronized void stop(Reason why) {
    if (reason == null) {
      reason = why;
    }
  }

  /** Why the run was asked to stop, if it was. */
  public Optional<Reason> reason() {
    return Optional.ofNullable(reason);
  }

  /** Throws {@link RunStopped} if the run was asked to stop. */
  public void check() {
    Reason why = reason;
    if (why != null) {
      throw new RunStopped(why);
    }
  }

  /**
   * {@code progress}, with this token checked after each batch reported to it; plans, passes and
   * events are passed on as they are.
   */
  public Progress checkedAfter(Progress progress) {
    return new Progress() {
      @Override
      public void report(Phase phase, long done, long total) {
        progress.report(phase, done, total);
        check();
      }

      @Override
      public void planned(Map<Phase, Long> passes) {
        progress.planned(passes);
      }

      @Override
      public void passes(long done, long remaining) {
        progress.passes(done, remaining);
      }

      @Override
      public void event(String kind, String detail) {
        progress.event(kind, detail);
      }
    };
  }
}
