package io.headprune.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart after kill -9 comes back on the first try: the killed JVM's PostgreSQL, still running
 * on the data directory, is shut down and a new one starts on the same data; while the first
 * process lives, a second one on the same directory is refused instead of racing it.
 */
class EmbeddedRestartIT {

  @TempDir Path data;

  @Test
  void aKilledProcessesPostgresIsStoppedAndTheDataServedAgain() throws Exception {
    Path directory = data.resolve("postgres");
    Files.createDirectories(directory);
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                EmbeddedPostgresChild.class.getName(),
                directory.toString())
            .redirectErrorStream(true)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("ready ")) {
        // the child's log lines
      }
      assertThat(line).as("the child started PostgreSQL").startsWith("ready ");

      // while it lives, a second owner is refused (no second postmaster on the directory)
      assertThatThrownBy(() -> EmbeddedPostgresHost.start(directory))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("another headprune process");

      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    List<String> pidFile = Files.readAllLines(directory.resolve("postmaster.pid"));
    long orphanPid = Long.parseLong(pidFile.get(0).trim());
    ProcessHandle orphan = ProcessHandle.of(orphanPid).orElseThrow();
    assertThat(orphan.isAlive()).as("PostgreSQL outlived its JVM").isTrue();

    try (EmbeddedPostgresHost host = EmbeddedPostgresHost.start(directory);
        Connection connection = host.postgres().getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery("select 1")) {
      assertThat(result.next()).isTrue();
      assertThat(orphan.isAlive()).as("the orphan was stopped").isFalse();
      long pid = Long.parseLong(Files.readAllLines(directory.resolve("postmaster.pid")).get(0));
      assertThat(pid).isNotEqualTo(orphanPid);
    }
  }

  @Test
  void aPidFileNamingAnotherLiveProcessIsStale() throws Exception {
    Path directory = data.resolve("stale");
    Files.createDirectories(directory);
    // this JVM is alive and not PostgreSQL: a reused PID
    Files.writeString(
        directory.resolve("postmaster.pid"), ProcessHandle.current().pid() + "\n" + directory);
    EmbeddedPostgresHost.stopOrphan(directory);
    assertThat(directory.resolve("postmaster.pid")).doesNotExist();
    assertThat(ProcessHandle.current().isAlive()).isTrue();
  }
}
