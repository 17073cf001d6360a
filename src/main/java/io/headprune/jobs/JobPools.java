package io.headprune.jobs;

import com.github.kagkarlsson.scheduler.task.TaskDescriptor;
import io.headprune.problem.InvalidInputException;
import java.util.Arrays;
import java.util.List;

/**
 * Worker pools (a GPU pool, a CPU pool): a job names the pool that runs it, and each pool's workers
 * take only its jobs. Each pool's jobs are a task of their own name in the one queue table — {@code
 * prune-job} for the pool {@code default} (as every job was before pools), {@code prune-job@<pool>}
 * for the others — and a worker knows only its own pool's task, so db-scheduler never picks another
 * pool's jobs (it leaves executions of tasks it does not know to the schedulers that know them, and
 * deletes them only after {@code db-scheduler.delete-unresolved-after}, set far beyond any queue).
 *
 * @param names the pools this service's workers serve ({@code headprune.jobs.pools})
 * @param defaultPool the pool of a job that names none ({@code headprune.jobs.default-pool})
 * @param own this process's workers' pool ({@code headprune.worker.pool})
 */
public record JobPools(List<String> names, String defaultPool, String own) {

  /** The pool of a service that has no others. */
  public static final String DEFAULT = "default";

  /** A pool's name: what a Kubernetes label value and a task-name suffix can both carry. */
  static final String NAME = "[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?";

  public JobPools {
    names = List.copyOf(names);
    for (String name : names) {
      if (!name.matches(NAME)) {
        throw new IllegalArgumentException(
            "headprune.jobs.pools: '" + name + "' is not a pool name (" + NAME + ")");
      }
    }
    if (!names.contains(defaultPool)) {
      throw new IllegalArgumentException(
          "headprune.jobs.default-pool '"
              + defaultPool
              + "' is not among headprune.jobs.pools "
              + names);
    }
    if (!own.matches(NAME)) {
      throw new IllegalArgumentException("headprune.worker.pool: '" + own + "' is not a pool name");
    }
  }

  /** From the settings' text: pools as a comma-separated list; an empty default is the first. */
  static JobPools of(String pools, String defaultPool, String own) {
    List<String> names =
        Arrays.stream(pools.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    return new JobPools(
        names,
        defaultPool == null || defaultPool.isBlank() ? names.get(0) : defaultPool.trim(),
        own.trim());
  }

  /** The queue task of {@code pool}'s jobs; its data is the job id. */
  static TaskDescriptor<String> task(String pool) {
    return TaskDescriptor.of(
        DEFAULT.equals(pool) ? "prune-job" : "prune-job@" + pool, String.class);
  }

  /** The pool a job asked for ({@code null}: the default), refused when no worker serves it. */
  String check(String asked) {
    String pool = asked == null ? defaultPool : asked;
    if (!names.contains(pool)) {
      throw new InvalidInputException(
          "pool '"
              + pool
              + "' is not one of this service's worker pools "
              + names
              + " (headprune.jobs.pools)");
    }
    return pool;
  }
}
