package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.Scheduler;
import io.headprune.jobs.JobListener;
import io.headprune.support.Archive;
import io.headprune.support.Fixtures;
import io.headprune.support.Instances;
import io.headprune.support.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.client.RestClient;

/**
 * Chaos on one database with two workers: a job is interrupted in each of its phases, by freezing
 * its worker past revival (then releasing it) or by closing the worker's context, in turn (writing
 * both ways), and once the database itself stops and starts mid-job. Every job must end SUCCEEDED
 * exactly once, with one set of rows and artifacts and no scratch files left by any attempt.
 */
@SuppressWarnings({"rawtypes", "unchecked", "try"})
class ChaosIT {

  // a job with automatic α and a metric budget passes through every phase of the engine
  private static final List<String> PHASES =
      List.of("load", "dense", "score", "alpha", "target", "evaluate", "write");

  /** Progress reports of the held attempt after its release (a cancel must end it at the first). */
  static final AtomicInteger AFTER_RELEASE = new AtomicInteger();

  /** What the victim's listener does; set per case. */
  static volatile String phase;

  static volatile CountDownLatch reached;
  static volatile CountDownLatch release;

  private static Path data;
  private static EmbeddedPostgres postgres;
  private static int port;
  private static TestDatabase.Database database;
  private static ConfigurableApplicationContext survivor;
  private static RestClient http;
  private static String model;
  private static String calibration;
  private static String evaluation;

  /** The victim's worker holds in {@link #phase} of its first attempt until released. */
  @Configuration(proxyBeanMethods = false)
  static class Hold {
    @Bean
    JobListener hold() {
      return (job, attempt, current, done, total) -> {
        CountDownLatch here = reached;
        if (attempt == 1 && here != null && here.getCount() == 0 && release.getCount() == 0) {
          AFTER_RELEASE.incrementAndGet();
        }
        if (attempt == 1 && current.id().equals(phase) && here != null && here.getCount() > 0) {
          here.countDown();
          try {
            release.await(3, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
    }
  }

  // the victim heartbeats once an hour: frozen, its jobs look dead to the survivor within 2 s
  private static final List<String> VICTIM =
      List.of("--db-scheduler.polling-interval=200ms", "--db-scheduler.heartbeat-interval=1h");
  // an instance that serves the API but claims no job (it would run the queued one)
  private static final List<String> SURVIVOR_PAUSED = List.of("--headprune.role=api");
  private static final List<String> SURVIVOR =
      List.of(
          "--db-scheduler.polling-interval=300ms",
          "--db-scheduler.heartbeat-interval=500ms",
          "--db-scheduler.missed-heartbeats-limit=4");

  @BeforeAll
  static void database() throws IOException {
    data = Files.createTempDirectory("headprune-chaos");
    postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(data.resolve("postgres"))
            .setCleanDataDirectory(false)
            .start();
    port = postgres.getPort();
    database =
        new TestDatabase.Database(
            "jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "postgres");
  }

  @AfterAll
  static void stop() throws IOException {
    postgres.close();
  }

  /**
   * Starts the survivor once the victim holds its job: a survivor running earlier would find the
   * victim's hour-long heartbeat dead within 2 s and revive the job before it reached the phase.
   */
  private static ConfigurableApplicationContext survivor() {
    survivor = Instances.start(database, data, SURVIVOR);
    http = Instances.client(survivor);
    return survivor;
  }

  /** The example model and datasets, uploaded once through the first instance. */
  private static void ensureInputs(ConfigurableApplicationContext instance) {
    if (model == null) {
      inputs(Instances.client(instance));
    }
  }

  // a worker that heartbeats like the survivor: nobody takes its job while it runs
  private static final List<String> LIVE =
      List.of(
          "--db-scheduler.polling-interval=200ms",
          "--db-scheduler.heartbeat-interval=500ms",
          "--db-scheduler.missed-heartbeats-limit=4");

  /** Uploads the example model and its datasets once. */
  private static void inputs(RestClient client) {
    {
      model =
          (String)
              Instances.upload(
                      client,
                      "/v1/models",
                      Archive.tarGz(Fixtures.tinyBert(), data.resolve("m.tar.gz")))
                  .get("id");
      calibration =
          (String)
              Instances.upload(client, "/v1/datasets", Fixtures.tinyBert().resolve("calib.jsonl"))
                  .get("id");
      // 64 of the 512 evaluation texts: every phase still runs (and reports per batch of 4), in a
      // fraction of the time each of the 17 jobs would take with all
      Path shortEvaluation = data.resolve("eval-64.jsonl");
      try (var lines = Files.lines(Fixtures.tinyBert().resolve("eval.jsonl"))) {
        Files.write(shortEvaluation, lines.limit(64).toList());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      evaluation = (String) Instances.upload(client, "/v1/datasets", shortEvaluation).get("id");
    }
  }

  private static String submit(RestClient client) {
    return submit(client, "one-shot");
  }

  private static String submit(RestClient client, String selection) {
    String body =
        """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "evaluation": {"id": "%s"}, "criteria": ["hies"],
         "sparsities": [0.25], "target": {"maxMetricDrop": 0.02}, "alpha": "auto", "selection": "%s",
         "seeds": 1, "calibrationSize": 16, "batchSize": 4}
        """
            .formatted(model, calibration, evaluation, selection);
    return (String)
        client
            .post()
            .uri("/v1/jobs")
            .contentType(MediaType.APPLICATION_JSON)
            .body(body)
            .retrieve()
            .body(Map.class)
            .get("id");
  }

  private static Map<String, Object> awaitEnd(String id) {
    return Awaitility.await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> http.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
            j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
  }

  /**
   * SUCCEEDED once: one row per output kind and per head, the outputs on disk, no attempt's scratch
   * left.
   */
  private static void assertSucceededOnce(String id, String what) throws IOException {
    Map<String, Object> job = awaitEnd(id);
    assertThat(job.get("status")).as(what + ": " + job.get("error")).isEqualTo("SUCCEEDED");
    assertThat(job.get("error")).as(what).isNull();
    JdbcTemplate sql = new JdbcTemplate(survivor.getBean(DataSource.class));
    assertThat(
            sql.queryForList(
                "select kind from artifacts where job_id = ?::uuid order by kind",
                String.class,
                id))
        .as(what)
        .containsExactly("masked", "pruned", "report", "reportPage", "scores");
    // 16 heads, scores of the artifact plus one seed's
    assertThat(
            sql.queryForObject(
                "select count(*) from head_scores where job_id = ?::uuid", Integer.class, id))
        .as(what)
        .isEqualTo(32);
    assertThat(
            sql.queryForObject(
                "select count(*) from evaluations where job_id = ?::uuid", Integer.class, id))
        .as(what)
        .isEqualTo(1);
    try (var files = Files.list(data.resolve("artifacts/jobs").resolve(id))) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .as(what)
          .containsExactly(
              "masked.tar.gz", "pruned.tar.gz", "report.html", "report.json", "scores.json");
    }
    Awaitility.await(what)
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leftovers(id).isEmpty());
  }

  private static List<String> leftovers(String id) throws IOException {
    Path work = data.resolve("artifacts/work").resolve(id);
    if (!Files.exists(work)) {
      return List.of();
    }
    try (var files = Files.list(work)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  /**
   * Frozen past revival in {@code where}: the survivor completes it; released, the victim writes
   * nothing.
   */
  private static void frozen(String where, List<String> cases) throws Exception {
    reached = new CountDownLatch(1);
    release = new CountDownLatch(1);
    try (ConfigurableApplicationContext victim =
        Instances.start(database, data, VICTIM, Hold.class)) {
      ensureInputs(victim);
      String id = submit(Instances.client(victim));
      assertThat(reached.await(2, TimeUnit.MINUTES)).as("frozen in " + where).isTrue();
      try (ConfigurableApplicationContext ignored = survivor()) {
        Map<String, Object> done = awaitEnd(id);
        assertThat(done.get("attempt")).as("frozen in " + where).isEqualTo(2);
        release.countDown();
        assertSucceededOnce(id, "frozen in " + where);
        cases.add("frozen in " + where);
      }
    }
  }

  /**
   * Closed mid-phase: the victim hands the job back (or, writing, finishes it) and the survivor
   * completes it.
   */
  private static void closed(String where, List<String> cases) throws Exception {
    reached = new CountDownLatch(1);
    release = new CountDownLatch(1);
    ConfigurableApplicationContext victim = Instances.start(database, data, VICTIM, Hold.class);
    ensureInputs(victim);
    String id = submit(Instances.client(victim));
    assertThat(reached.await(2, TimeUnit.MINUTES)).as("closed in " + where).isTrue();
    try (ConfigurableApplicationContext ignored = survivor()) {
      Thread closing = new Thread(victim::close);
      closing.start();
      Scheduler scheduler = victim.getBean(Scheduler.class);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> scheduler.getSchedulerState().isShuttingDown());
      release.countDown();
      closing.join(60_000);
      assertThat(closing.isAlive()).as("closed in " + where).isFalse();
      assertSucceededOnce(id, "closed in " + where);
      cases.add("closed in " + where);
    }
  }

  @Test
  void jobsSurviveFrozenAndClosedWorkersInEveryPhaseAndADatabaseRestart() throws Exception {
    List<String> cases = new ArrayList<>();
    for (int at = 0; at < PHASES.size(); at++) {
      String where = PHASES.get(at);
      phase = where;
      // every phase is interrupted once, the two ways in turn: a worker's stop (at its next batch)
      // and its loss (found at its next report) are the same in every batch loop of the engine
      // (LongWorkTest: each phase reports and stops); writing, which is fenced and finishes on a
      // shutdown rather than handing back, both ways
      boolean last = where.equals("write");
      if (at % 2 == 0 || last) {
        frozen(where, cases);
      }
      if (at % 2 == 1 || last) {
        closed(where, cases);
      }
    }

    // the database stops for a few seconds mid-job and starts again on the same files
    phase = "score";
    reached = new CountDownLatch(1);
    release = new CountDownLatch(1);
    try (ConfigurableApplicationContext victim =
        Instances.start(database, data, LIVE, Hold.class)) {
      survivor = victim; // it completes the job itself once the database is back
      http = Instances.client(victim);
      String id = submit(Instances.client(victim));
      assertThat(reached.await(2, TimeUnit.MINUTES)).isTrue();
      postgres.close();
      release.countDown(); // the job's next progress write finds the database away
      RestClient probe =
          Instances.client(
              victim.getEnvironment().getProperty("local.server.port", Integer.class), null);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () ->
                  probe
                          .get()
                          .uri("/actuator/health/readiness")
                          .retrieve()
                          .toBodilessEntity()
                          .getStatusCode()
                          .value()
                      == 503);
      postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(data.resolve("postgres"))
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
      assertSucceededOnce(id, "database restarted");
      cases.add("database restarted");
    }
    assertThat(cases).hasSize(PHASES.size() + 2); // write both ways, and the database
  }

  /**
   * A job cancelled while it chooses α, searches the target, or re-scores iteratively ends
   * CANCELLED at its next progress report (one batch), leaving no rows, outputs or scratch.
   */
  @Test
  void aJobCancelledInTheLongLoopsEndsAtItsNextBatch() throws Exception {
    try (ConfigurableApplicationContext victim =
        Instances.start(database, data, LIVE, Hold.class)) {
      ensureInputs(victim);
      RestClient client = Instances.client(victim);
      for (String[] where :
          new String[][] {
            {"alpha", "one-shot"}, {"target", "one-shot"}, {"evaluate", "iterative"}
          }) {
        phase = where[0];
        reached = new CountDownLatch(1);
        release = new CountDownLatch(1);
        AFTER_RELEASE.set(0);
        String id = submit(client, where[1]);
        assertThat(reached.await(2, TimeUnit.MINUTES)).as("cancelled in " + where[0]).isTrue();
        assertThat(
                client
                    .post()
                    .uri("/v1/jobs/" + id + "/cancel")
                    .retrieve()
                    .toBodilessEntity()
                    .getStatusCode()
                    .value())
            .isEqualTo(200);
        release.countDown();
        Map<String, Object> job =
            Awaitility.await()
                .atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(100))
                .until(
                    () -> client.get().uri("/v1/jobs/" + id).retrieve().body(Map.class),
                    j -> ((String) j.get("status")).matches("SUCCEEDED|FAILED|CANCELLED"));
        assertThat(job.get("status")).as("cancelled in " + where[0]).isEqualTo("CANCELLED");
        assertThat(AFTER_RELEASE.get())
            .as("reports after the cancel, in " + where[0])
            .isLessThanOrEqualTo(1);
        JdbcTemplate sql = new JdbcTemplate(victim.getBean(DataSource.class));
        assertThat(
                sql.queryForObject(
                    "select count(*) from artifacts where job_id = ?::uuid", Integer.class, id))
            .isZero();
        assertThat(
                sql.queryForObject(
                    "select count(*) from head_scores where job_id = ?::uuid", Integer.class, id))
            .isZero();
        assertThat(data.resolve("artifacts/jobs").resolve(id)).doesNotExist();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> leftovers(id).isEmpty());
      }

      // shut down while re-scoring iteratively: the worker hands the job back, QUEUED, nothing kept
      phase = "evaluate";
      reached = new CountDownLatch(1);
      release = new CountDownLatch(1);
      String id = submit(client, "iterative");
      assertThat(reached.await(2, TimeUnit.MINUTES)).isTrue();
      Thread closing = new Thread(victim::close);
      closing.start();
      Scheduler scheduler = victim.getBean(Scheduler.class);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> scheduler.getSchedulerState().isShuttingDown());
      release.countDown();
      closing.join(60_000);
      assertThat(closing.isAlive()).isFalse();
      try (ConfigurableApplicationContext reader =
          Instances.start(database, data, SURVIVOR_PAUSED)) {
        JdbcTemplate rows = new JdbcTemplate(reader.getBean(DataSource.class));
        assertThat(
                rows.queryForObject("select status from jobs where id = ?::uuid", String.class, id))
            .isEqualTo("QUEUED");
        assertThat(
                rows.queryForObject(
                    "select count(*) from artifacts where job_id = ?::uuid", Integer.class, id))
            .isZero();
        // cancel it, so that no later case's worker runs it
        Instances.client(reader)
            .post()
            .uri("/v1/jobs/" + id + "/cancel")
            .retrieve()
            .toBodilessEntity();
      }
    }
  }
}
