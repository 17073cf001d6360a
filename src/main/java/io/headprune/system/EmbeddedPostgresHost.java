package io.headprune.system;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL and the lock that makes this process its only owner.
 *
 * <p>PostgreSQL runs as its own process: when the JVM that started it is killed (kill -9, an OOM
 * kill), the postmaster lives on, holding {@code postmaster.pid}, and a new start on the same
 * directory would fail ("lock file already exists"). So the directory is guarded by an OS file lock
 * beside it ({@code postgres.lock}), held for the life of the process and released by the kernel
 * when the process dies, however it dies. Whoever holds the lock knows that any postmaster still
 * running on the directory is an orphan of a dead owner: it is shut down (SIGTERM, PostgreSQL's
 * smart shutdown — its clients are gone with the dead JVM — then SIGKILL if it does not stop, after
 * which PostgreSQL recovers from its WAL) before a new one starts. Never two postmasters on one
 * directory: a second headprune on the same directory is refused while the first holds the lock.
 */
final class EmbeddedPostgresHost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresHost.class);

  /** How long an orphan gets to shut down on SIGTERM before SIGKILL. */
  static final Duration GRACE = Duration.ofSeconds(30);

  private final FileChannel channel;
  private final FileLock lock;
  private final EmbeddedPostgres postgres;

  private EmbeddedPostgresHost(FileChannel channel, FileLock lock, EmbeddedPostgres postgres) {
    this.channel = channel;
    this.lock = lock;
    this.postgres = postgres;
  }

  /** Locks {@code directory}, stops an orphaned postmaster on it, and starts PostgreSQL there. */
  static EmbeddedPostgresHost start(Path directory) throws IOException {
    Path lockFile = directory.resolveSibling(directory.getFileName() + ".lock");
    FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException(
          "another headprune process uses the embedded PostgreSQL in "
              + directory
              + " (it holds "
              + lockFile
              + "); stop it, or give this one its own headprune.data-dir");
    }
    try {
      stopOrphan(directory);
      return new EmbeddedPostgresHost(
          channel, lock, EmbeddedDatabaseConfiguration.start(directory));
    } catch (IOException | RuntimeException e) {
      lock.release();
      channel.close();
      throw e;
    }
  }

  EmbeddedPostgres postgres() {
    return postgres;
  }

  /**
   * With the lock held: a live postgres process named by {@code postmaster.pid} belongs to a dead
   * owner and is shut down; a pid file naming a live process that is not postgres (a reused PID) is
   * stale and removed. A pid file naming no live process PostgreSQL clears itself.
   */
  static void stopOrphan(Path directory) throws IOException {
    Path pidFile = directory.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    long pid;
    try {
      pid = Long.parseLong(lines.isEmpty() ? "" : lines.get(0).trim());
    } catch (NumberFormatException e) {
      log.warn("removing unreadable {}", pidFile);
      Files.deleteIfExists(pidFile);
      return;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (process.isEmpty()) {
      return;
    }
    if (!isPostgres(process.get())) {
      log.warn(
          "{} names process {}, which is not PostgreSQL: removing the stale file", pidFile, pid);
      Files.deleteIfExists(pidFile);
      return;
    }
    log.warn(
        "PostgreSQL (pid {}) is still running on {} after its headprune process died: shutting it"
            + " down before starting again",
        pid,
        directory);
    ProcessHandle postmaster = process.get();
    postmaster.destroy();
    if (!exited(postmaster, GRACE)) {
      log.warn("PostgreSQL (pid {}) did not stop within {}: killing it", pid, GRACE);
      postmaster.destroyForcibly();
      if (!exited(postmaster, Duration.ofSeconds(10))) {
        throw new IllegalStateException(
            "PostgreSQL (pid " + pid + ") on " + directory + " cannot be stopped");
      }
    }
  }

  private static boolean isPostgres(ProcessHandle process) {
    String command =
        process
            .info()
            .command()
            .orElseGet(
                () -> {
                  try {
                    return Files.readString(
                        Path.of("/proc", String.valueOf(process.pid()), "comm"));
                  } catch (IOException e) {
                    return "";
                  }
                });
    return Path.of(command.trim()).getFileName().toString().startsWith("postgres");
  }

  private static boolean exited(ProcessHandle process, Duration within) {
    try {
      process.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !process.isAlive();
    } catch (ExecutionException e) {
      return !process.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      postgres.close();
    } finally {
      lock.release();
      channel.close();
    }
  }
}
