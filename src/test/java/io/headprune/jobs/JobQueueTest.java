package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.testhelper.ManualScheduler;
import com.github.kagkarlsson.scheduler.testhelper.SettableClock;
import com.github.kagkarlsson.scheduler.testhelper.TestHelper;
import io.headprune.progress.RunStopped;
import io.headprune.progress.StopToken;
import io.headprune.support.TestDatabase;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The job queue's own rules, without Spring: db-scheduler's manual scheduler on a settable clock
 * runs the queue's task over real PostgreSQL with a stand-in worker. A job handed back runs again a
 * second later, one waiting for its tenant's quota after the quota wait, one whose worker died is
 * revived for another worker — until workers have died {@code max} times running it, when it leaves
 * the queue (quarantined).
 */
class JobQueueTest {

  private static final Duration QUOTA_WAIT = Duration.ofSeconds(10);
  private static final int MAX_DEATHS = 3;

  /** A worker whose runs do what the test queued (nothing, when none is queued). */
  private static final class StandIn implements JobQueue.Worker {
    final Deque<RuntimeException> throwing = new ArrayDeque<>();
    final List<UUID> ran = new ArrayList<>();
    final Map<UUID, Integer> deaths = new HashMap<>();

    @Override
    public void run(UUID id, ExecutionContext context) {
      ran.add(id);
      RuntimeException next = throwing.poll();
      if (next != null) {
        throw next;
      }
    }

    @Override
    public boolean workerDied(UUID id, int maxDeaths) {
      return deaths.merge(id, 1, Integer::sum) >= maxDeaths;
    }
  }

  private final StandIn worker = new StandIn();
  private final SettableClock clock = new SettableClock();
  private ManualScheduler scheduler;
  private JdbcTemplate sql;
  private final UUID job = UUID.randomUUID();

  @BeforeEach
  void queue() {
    TestDatabase.Database database = TestDatabase.fresh();
    DriverManagerDataSource source =
        new DriverManagerDataSource(database.url(), database.username(), database.password());
    Flyway.configure().dataSource(source).load().migrate();
    sql = new JdbcTemplate(source);
    clock.set(Instant.parse("2026-01-05T09:00:00Z"));
    OneTimeTask<String> task =
        JobQueue.pruneJobs(JobPools.task(JobPools.DEFAULT), worker, QUOTA_WAIT, MAX_DEATHS);
    scheduler =
        (ManualScheduler)
            TestHelper.createManualScheduler(source, task).clock(clock).enablePriority().build();
    scheduler.scheduleIfNotExists(
        JobPools.task(JobPools.DEFAULT)
            .instance(job.toString())
            .data(job.toString())
            .priority(JobQueue.JOB_PRIORITY)
            .scheduledTo(clock.now()));
  }

  private boolean queued() {
    return sql.queryForObject(
            "select count(*) from scheduled_tasks where task_instance = ?",
            Integer.class,
            job.toString())
        == 1;
  }

  @Test
  void aJobHandedBackRunsAgainASecondLater() {
    worker.throwing.add(new RunStopped(StopToken.Reason.SHUTDOWN));
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).containsExactly(job);
    assertThat(queued()).isTrue();

    scheduler.tick(Duration.ofMillis(900));
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).hasSize(1);

    scheduler.tick(Duration.ofMillis(100));
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).containsExactly(job, job);
    assertThat(queued()).as("done: out of the queue").isFalse();
  }

  @Test
  void aJobWaitingForItsTenantsQuotaRunsAgainAfterTheQuotaWait() {
    worker.throwing.add(new JobRunner.Deferred("the tenant's running-jobs quota is full"));
    scheduler.runAnyDueExecutions();

    scheduler.tick(QUOTA_WAIT.minusMillis(1));
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).hasSize(1);

    scheduler.tick(Duration.ofMillis(1));
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).hasSize(2);
    assertThat(queued()).isFalse();
  }

  @Test
  void aJobWhoseWorkersDieIsRevivedUntilQuarantined() {
    for (int death = 1; death <= MAX_DEATHS; death++) {
      // a worker picks the job and dies: its heartbeat stops
      assertThat(
              sql.update(
                  "update scheduled_tasks set picked = true, picked_by = 'killed',"
                      + " last_heartbeat = ?, version = version + 1 where task_instance = ?",
                  Timestamp.from(clock.now()),
                  job.toString()))
          .isOne();
      scheduler.tick(Duration.ofHours(1)); // past any heartbeat limit
      scheduler.runDeadExecutionDetection();
      assertThat(worker.deaths.get(job)).isEqualTo(death);
      if (death < MAX_DEATHS) {
        // revived: unpicked and due now, for the next worker
        assertThat(
                sql.queryForObject(
                    "select picked from scheduled_tasks where task_instance = ?",
                    Boolean.class,
                    job.toString()))
            .isFalse();
      }
    }
    assertThat(queued()).as("quarantined: out of the queue").isFalse();
    scheduler.runAnyDueExecutions();
    assertThat(worker.ran).as("never handed to another worker").isEmpty();
  }
}
