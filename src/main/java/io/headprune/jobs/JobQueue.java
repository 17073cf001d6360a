package io.headprune.jobs;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.Priority;
import com.github.kagkarlsson.scheduler.task.TaskDescriptor;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

/**
 * The job queue on PostgreSQL: one db-scheduler one-time task per job (instance id = job id),
 * scheduled in the transaction that inserts the job row. db-scheduler claims executions
 * cluster-safely, heartbeats them, and revives those whose worker died.
 */
@Configuration(proxyBeanMethods = false)
class JobQueue {

  /**
   * Jobs' priority: below callback deliveries ({@link #DELIVERY_PRIORITY}), which never wait behind
   * the queue; among jobs, {@link QueueOrder} orders by execution time.
   */
  static final int JOB_PRIORITY = Priority.MEDIUM;

  /** Callback deliveries' priority. */
  static final int DELIVERY_PRIORITY = Priority.HIGH;

  /** The worker pools (see {@link JobPools}). */
  @Bean
  JobPools jobPools(
      @Value("${headprune.jobs.pools:default}") String pools,
      @Value("${headprune.jobs.default-pool:}") String defaultPool,
      @Value("${headprune.worker.pool:default}") String own) {
    return JobPools.of(pools, defaultPool, own);
  }

  /** What runs a pool's jobs: {@link JobRunner} in the service, a stand-in in queue tests. */
  interface Worker {

    /** Runs job {@code id}; throws only to hand it back or to wait (see {@link #pruneJobs}). */
    void run(UUID id, ExecutionContext context);

    /**
     * The worker running job {@code id} died; returns whether the job is now quarantined ({@code
     * maxDeaths} reached).
     */
    boolean workerDied(UUID id, int maxDeaths);
  }

  /** This worker's jobs: those of its own pool. */
  @Bean
  OneTimeTask<String> pruneJobTask(
      JobPools pools,
      JobRunner runner,
      // how long a job waits before it tries again to fit in its tenant's running-jobs quota
      @Value("${headprune.quota.retry-interval:10s}") Duration quotaWait,
      // how many dead workers quarantine a job
      @Value("${headprune.jobs.max-worker-deaths:3}") int maxWorkerDeaths) {
    return pruneJobs(JobPools.task(pools.own()), runner, quotaWait, maxWorkerDeaths);
  }

  /**
   * The task {@code task} that runs jobs on {@code worker}: a job handed back (shutdown, the
   * database away) runs again a second after, one waiting for its tenant's running-jobs quota after
   * {@code quotaWait}; a job whose worker died waits for a worker again, unless workers have died
   * {@code maxWorkerDeaths} times running it (quarantined: removed from the queue).
   */
  static OneTimeTask<String> pruneJobs(
      TaskDescriptor<String> task, Worker worker, Duration quotaWait, int maxWorkerDeaths) {
    return Tasks.oneTime(task)
        // the runner ends every job itself; it throws only to hand a job back (shutdown, database
        // away) or to wait for its tenant's running-jobs quota
        .onFailure(
            (complete, operations) -> {
              boolean deferred =
                  complete.getCause().filter(JobRunner.Deferred.class::isInstance).isPresent();
              operations.reschedule(
                  complete,
                  complete.getTimeDone().plus(deferred ? quotaWait : Duration.ofSeconds(1)));
            })
        .onDeadExecution(
            (complete, operations) -> {
              // the job waits for a worker again: say so, rather than RUNNING on a dead worker —
              // before the execution is revived, so that no new attempt can start before the row
              // says QUEUED
              UUID id = UUID.fromString((String) complete.getExecution().taskInstance.getData());
              if (worker.workerDied(id, maxWorkerDeaths)) {
                operations.remove(); // quarantined: never handed to another worker
                return;
              }
              new DeadExecutionHandler.ReviveDeadExecution<String>()
                  .deadExecution(complete, operations);
            })
        .execute((instance, context) -> worker.run(UUID.fromString(instance.getData()), context));
  }

  /** Delivers a job's completion callback, retried as {@link CallbackDelivery} says. */
  @Bean
  OneTimeTask<String> deliverCallbackTask(CallbackDelivery delivery) {
    return Tasks.oneTime(Callbacks.DELIVERY)
        .onFailure(
            (complete, operations) -> {
              Instant at =
                  complete
                      .getCause()
                      .filter(CallbackDelivery.Retry.class::isInstance)
                      .map(cause -> ((CallbackDelivery.Retry) cause).at)
                      .orElse(complete.getTimeDone().plusSeconds(5));
              operations.reschedule(complete, at);
            })
        .execute((instance, context) -> delivery.deliver(UUID.fromString(instance.getData())));
  }

  /**
   * With {@code db-scheduler.enabled=false} (the api role) jobs are only scheduled, never run here.
   */
  @Bean
  @ConditionalOnProperty(name = "db-scheduler.enabled", havingValue = "false")
  SchedulerClient schedulerClient(DataSource dataSource, List<OneTimeTask<?>> tasks) {
    return SchedulerClient.Builder.create(
            new TransactionAwareDataSourceProxy(dataSource), List.copyOf(tasks))
        .build();
  }
}
