package io.headprune.storage;

import io.headprune.problem.EngineException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

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
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
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
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .sum();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("measuring stored bytes", e);
    }
  }

  /** Deletes a file or directory tree if it exists. */
  public static void delete(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (var paths = Files.walk(path)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new EngineException("cannot delete " + path, e);
    }
  }
}
