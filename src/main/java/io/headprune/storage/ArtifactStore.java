package io.headprune.storage;

import io.headprune.problem.EngineException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The local artifact store. Layout under the root: {@code models/<sha256>/} (extracted model
 * directories), {@code datasets/<sha256>.<ext>}, {@code jobs/<id>/} (a job's outputs), {@code
 * incoming/} and {@code work/} (temporary, never served).
 */
public final class ArtifactStore {

  private final Path root;

  public ArtifactStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
    try {
      for (String part : new String[] {"models", "datasets", "jobs", "incoming", "work"}) {
        Files.createDirectories(this.root.resolve(part));
      }
    } catch (IOException e) {
      throw new EngineException("cannot create the artifact directory " + this.root, e);
    }
  }

  /** The store's root directory. */
  public Path root() {
    return root;
  }

  /** Where a model with this content hash lives. */
  public Path model(String sha256) {
    return root.resolve("models").resolve(sha256);
  }

  /** Where a dataset with this content hash and extension lives. */
  public Path dataset(String sha256, String extension) {
    return root.resolve("datasets").resolve(sha256 + "." + extension);
  }

  /** A job's output directory. */
  public Path job(UUID id) {
    return root.resolve("jobs").resolve(id.toString());
  }

  /** A job's scratch directory (deleted when the job ends). */
  public Path work(UUID id) {
    return root.resolve("work").resolve(id.toString());
  }

  /** The scratch directory of attempt {@code attempt} of job {@code id}. */
  public Path attempt(UUID id, int attempt) {
    return work(id).resolve("attempt-" + attempt);
  }

  /**
   * Removes the scratch of job {@code id}'s attempts before {@code attempt}: a dead attempt's
   * leftovers (a killed worker's half-written outputs) once a later attempt has taken the job.
   */
  public void removeEarlierAttempts(UUID id, int attempt) {
    if (!Files.isDirectory(work(id))) {
      return;
    }
    try (var attempts = Files.list(work(id))) {
      for (Path dir : attempts.toList()) {
        String name = dir.getFileName().toString();
        if (!name.matches("attempt-\\d{1,9}")
            || Integer.parseInt(name.substring("attempt-".length())) < attempt) {
          delete(dir);
        }
      }
    } catch (IOException e) {
      throw new EngineException("cannot list " + work(id), e);
    }
  }

  /** Removes all of job {@code id}'s scratch (the job has ended). */
  public void removeScratch(UUID id) {
    delete(work(id));
  }

  /**
   * Removes attempt {@code attempt}'s scratch, and the job's scratch directory once no attempt is
   * left in it (a later attempt, revived while this one was paused, keeps its own).
   */
  public void removeAttempt(UUID id, int attempt) {
    delete(attempt(id, attempt));
    try {
      Files.deleteIfExists(work(id));
    } catch (DirectoryNotEmptyException stillUsed) {
      // another attempt's scratch is in it
    } catch (IOException e) {
      throw new EngineException("cannot delete " + work(id), e);
    }
  }

  /** The jobs that have a scratch directory. */
  public List<UUID> jobsWithScratch() {
    try (var dirs = Files.list(root.resolve("work"))) {
      return dirs.map(p -> p.getFileName().toString())
          .flatMap(
              name -> {
                try {
                  return Stream.of(UUID.fromString(name));
                } catch (IllegalArgumentException notAJob) {
                  return Stream.empty();
                }
              })
          .toList();
    } catch (IOException e) {
      throw new EngineException("cannot list " + root.resolve("work"), e);
    }
  }

  /**
   * Removes incoming uploads untouched for {@code age}: an upload's file grows while it is read, so
   * an old one belongs to a process that died while reading it. Returns how many were removed.
   */
  public int removeIncomingOlderThan(Duration age, Instant now) {
    int removed = 0;
    try (var entries = Files.list(root.resolve("incoming"))) {
      for (Path entry : entries.toList()) {
        if (Files.getLastModifiedTime(entry).toInstant().isBefore(now.minus(age))) {
          delete(entry);
          removed++;
        }
      }
    } catch (IOException e) {
      throw new EngineException("cannot list " + root.resolve("incoming"), e);
    }
    return removed;
  }

  /** A fresh temporary path for an incoming upload. */
  public Path incoming() {
    return root.resolve("incoming").resolve(UUID.randomUUID().toString());
  }

  /** A store-relative URI for {@code path}. */
  public String uri(Path path) {
    return "file:" + root.relativize(path.toAbsolutePath().normalize());
  }

  /** The path of a URI made by {@link #uri}. */
  public Path resolve(String uri) {
    Path path = root.resolve(uri.substring("file:".length())).normalize();
    if (!path.startsWith(root)) {
      throw new IllegalArgumentException("artifact uri outside the store: " + uri);
    }
    return path;
  }

  /** Copies {@code in} to {@code target}, returning the SHA-256 of the bytes (hex). */
  public static String copyHashing(InputStream in, Path target) throws IOException {
    MessageDigest digest = sha256();
    try (DigestInputStream hashing = new DigestInputStream(in, digest)) {
      Files.copy(hashing, target);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** SHA-256 of a file (hex). */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * The identity of a directory's content: the SHA-256 (hex) of the lines {@code path TAB
   * sha256(file) LF} of every regular file under it, paths relative with {@code /} and sorted — the
   * same files give the same hash however they were archived (modification times, owners, the
   * archive's format or top directory).
   */
  public static String contentSha256(Path dir) throws IOException {
    TreeMap<String, String> files = new TreeMap<>();
    try (var walk = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        String relative = dir.relativize(file).toString().replace(File.separatorChar, '/');
        files.put(relative, sha256(file));
      }
    }
    MessageDigest digest = sha256();
    files.forEach(
        (path, hash) ->
            digest.update((path + "\t" + hash + "\n").getBytes(StandardCharsets.UTF_8)));
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** Bytes of a file, or of every file under a directory (0 if it does not exist). */
  public static long size(Path path) {
    if (!Files.exists(path)) {
      return 0;
    }
    try (var files = Files.walk(path)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              file -> {
                try {
                  return Files.size(file);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    } catch (IOException e) {
      throw new UncheckedIOException("measuring stored bytes", e);
    }
  }

  /** Deletes a file or directory tree if it exists. */
  public static void delete(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var paths = Files.walk(path)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new EngineException("cannot delete " + path, e);
    }
  }
}
