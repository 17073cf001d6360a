package io.headprune.hub;

import io.headprune.problem.HeadpruneException;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UpstreamException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One file from {@code resolve/<commit>/<file>} into the cache: redirects followed by hand (the
 * token never leaves the endpoint's host), the body written to {@code blobs/<etag>.incomplete} and
 * resumed with {@code Range} after a stall or a cut, LFS files checked against the SHA-256 in
 * {@code X-Linked-Etag}, then moved into place and linked from the snapshot.
 */
final class Downloads {

  private static final int MAX_REDIRECTS = 5;
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "hub-download-watchdog");
            thread.setDaemon(true);
            return thread;
          });

  private final HubSettings settings;
  private final HttpClient http;
  private final HubCache cache;

  Downloads(HubSettings settings, HttpClient http, HubCache cache) {
    this.settings = settings;
    this.http = http;
    this.cache = cache;
  }

  /** What the endpoint said about the file before any redirect. */
  private record Expected(String etag, String sha256, long size) {}

  /** A body to read, and the headers of the endpoint's own answer (a redirect's, or the body's). */
  private record Answer(HttpResponse<InputStream> response, HttpHeaders endpointHeaders) {}

  /**
   * Downloads {@code file} into the cache, refusing it past {@code maxBytes}, or, for a text file,
   * past {@code maxLines} lines while it arrives.
   */
  Path fetch(
      RepoType type,
      String repo,
      String commit,
      String file,
      URI url,
      long maxBytes,
      long maxLines) {
    Expected expected = null;
    Path partial = null;
    IOException last = null;
    for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
      try {
        long have = partial != null && Files.exists(partial) ? Files.size(partial) : 0;
        Answer answer = send(url, have, repo, commit, file);
        if (expected == null) {
          expected = expectedFrom(answer, url);
          if (expected.size() > maxBytes) {
            answer.response().body().close();
            throw tooLarge(file, repo, expected.size(), maxBytes);
          }
          partial = cache.blob(type, repo, expected.etag() + ".incomplete");
          Files.createDirectories(partial.getParent());
          have = Files.exists(partial) ? Files.size(partial) : 0;
          if (have > 0) {
            // a download from an earlier run: resume it
            answer.response().body().close();
            answer = send(url, have, repo, commit, file);
          }
        }
        long[] lines = {0};
        if (!receive(answer.response(), partial, have, maxBytes, maxLines, lines)) {
          Files.deleteIfExists(partial);
          throw lines[0] > maxLines
              ? new InvalidInputException(
                  file
                      + " of "
                      + repo
                      + " has more than "
                      + maxLines
                      + " lines; refused while "
                      + "it was downloading")
              : tooLarge(file, repo, maxBytes + 1, maxBytes);
        }
        long size = Files.size(partial);
        if (expected.size() >= 0 && size < expected.size()) {
          last = new IOException("body ended after " + size + " of " + expected.size() + " bytes");
          continue; // resume with Range
        }
        return complete(type, repo, commit, file, partial, expected);
      } catch (IOException e) {
        last = e; // cut, stall or refused connection: try again, resuming what arrived
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UpstreamException("interrupted while downloading " + file + " of " + repo, e);
      }
    }
    throw new UpstreamException(
        "downloading "
            + file
            + " of "
            + repo
            + "@"
            + commit
            + " failed after "
            + settings.attempts()
            + " attempts: "
            + (last == null ? "unknown error" : last.getMessage()),
        last);
  }

  private Answer send(URI url, long from, String repo, String commit, String file)
      throws IOException, InterruptedException {
    URI current = url;
    HttpHeaders endpointHeaders = null;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(current)
              .timeout(settings.timeout())
              .GET()
              .header("Accept-Encoding", "identity");
      if (settings.token() != null && sameHost(current, settings.endpoint())) {
        request.header("Authorization", "Bearer " + settings.token());
      }
      if (from > 0) {
        request.header("Range", "bytes=" + from + "-");
      }
      HttpResponse<InputStream> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      int status = response.statusCode();
      if (status == 200 || status == 206) {
        return new Answer(response, endpointHeaders == null ? response.headers() : endpointHeaders);
      }
      response.body().close();
      if (status >= 300 && status < 400) {
        if (hop == 0) {
          endpointHeaders = response.headers();
        }
        String location =
            response
                .headers()
                .firstValue("Location")
                .orElseThrow(
                    () ->
                        new UpstreamException(
                            "the Hub redirected " + file + " without a Location"));
        current = current.resolve(location);
        continue;
      }
      if (status == 416 && from > 0) {
        throw new IOException("range " + from + "- not satisfiable; restarting");
      }
      HeadpruneException error = HubErrors.of(status, response.headers(), repo, commit, file);
      if (error instanceof UpstreamException && status >= 500) {
        throw new IOException(error.getMessage());
      }
      throw error;
    }
    throw new UpstreamException(
        "more than " + MAX_REDIRECTS + " redirects downloading " + file + " of " + repo);
  }

  /** The endpoint's headers name the blob; the CDN's answer to a redirect lacks X-Linked-*. */
  private static Expected expectedFrom(Answer answer, URI url) {
    HttpHeaders first = answer.endpointHeaders();
    HttpResponse<InputStream> response = answer.response();
    String linked = etag(first.firstValue("X-Linked-Etag")).orElse(null);
    String etag =
        linked != null
            ? linked
            : etag(first.firstValue("ETag"))
                .or(() -> etag(response.headers().firstValue("ETag")))
                .orElse(Integer.toHexString(url.toString().hashCode()));
    if (!etag.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new UpstreamException("the Hub sent an unusable ETag '" + etag + "'");
    }
    long size = first.firstValue("X-Linked-Size").map(Downloads::size).orElse(-1L);
    if (size < 0 && response.statusCode() == 200) {
      size = response.headers().firstValueAsLong("Content-Length").orElse(-1L);
    }
    String sha256 = linked != null && linked.matches("[0-9a-f]{64}") ? linked : null;
    return new Expected(etag, sha256, size);
  }

  private static Optional<String> etag(Optional<String> header) {
    return header
        .map(
            value ->
                value.replaceFirst("^W/", "").replace("\"", "").trim().toLowerCase(Locale.ROOT))
        .filter(value -> !value.isEmpty());
  }

  /**
   * Writes the body to {@code partial}: appended after a 206 that continues it, else from the
   * start.
   */
  private static InvalidInputException tooLarge(
      String file, String repo, long size, long maxBytes) {
    return new InvalidInputException(
        file
            + " of "
            + repo
            + " is "
            + (size > maxBytes ? "more than " + maxBytes : size)
            + " bytes, more than the "
            + maxBytes
            + " headprune accepts for it");
  }

  /**
   * Writes the body; false (and stops) once it runs past {@code maxBytes} or {@code maxLines}
   * lines.
   */
  private boolean receive(
      HttpResponse<InputStream> response,
      Path partial,
      long have,
      long maxBytes,
      long maxLines,
      long[] lines)
      throws IOException {
    boolean append =
        response.statusCode() == 206
            && have > 0
            && response
                .headers()
                .firstValue("Content-Range")
                .map(range -> range.startsWith("bytes " + have + "-"))
                .orElse(false);
    AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    InputStream body = response.body();
    long limit = settings.timeout().toNanos();
    ScheduledFuture<?> watchdog =
        WATCHDOG.scheduleAtFixedRate(
            () -> {
              if (System.nanoTime() - lastProgress.get() > limit) {
                closeQuietly(
                    body); // a stalled body: the blocked read fails, and the next attempt resumes
              }
            },
            200,
            200,
            TimeUnit.MILLISECONDS);
    try (OutputStream out =
        Files.newOutputStream(
            partial,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] buffer = new byte[256 * 1024];
      long total = append ? have : 0;
      for (int read = body.read(buffer); read >= 0; read = body.read(buffer)) {
        total += read;
        if (total > maxBytes) {
          return false; // more than announced and allowed: the caller refuses it and deletes what
          // arrived
        }
        if (maxLines != Long.MAX_VALUE) {
          for (int i = 0; i < read; i++) {
            lines[0] += buffer[i] == '\n' ? 1 : 0;
          }
          if (lines[0] > maxLines) {
            return false;
          }
        }
        out.write(buffer, 0, read);
        lastProgress.set(System.nanoTime());
      }
      return true;
    } finally {
      watchdog.cancel(false);
      closeQuietly(body);
    }
  }

  private static void closeQuietly(InputStream stream) {
    try {
      stream.close();
    } catch (IOException ignored) {
      // closing is all there is to do
    }
  }

  private Path complete(
      RepoType type, String repo, String commit, String file, Path partial, Expected expected) {
    try {
      if (expected.sha256() != null) {
        String actual = sha256(partial);
        if (!actual.equals(expected.sha256())) {
          Files.deleteIfExists(partial);
          throw new UpstreamException(
              "SHA-256 of "
                  + file
                  + " from the Hub is "
                  + actual
                  + " but X-Linked-Etag says "
                  + expected.sha256()
                  + "; the download was discarded");
        }
      }
      Path blob = cache.blob(type, repo, expected.etag());
      Files.move(
          partial, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return cache.link(type, repo, commit, file, blob);
    } catch (IOException e) {
      throw new UncheckedIOException("storing " + file + " in the Hub cache", e);
    }
  }

  private static String sha256(Path file) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean sameHost(URI a, URI b) {
    return a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b)
        && a.getScheme().equalsIgnoreCase(b.getScheme());
  }

  private static int port(URI uri) {
    return uri.getPort() >= 0
        ? uri.getPort()
        : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  /** X-Linked-Size as a byte count; anything else is the Hub's error, not ours. */
  private static long size(String header) {
    try {
      long size = Long.parseLong(header.trim());
      if (size < 0) {
        throw new NumberFormatException();
      }
      return size;
    } catch (NumberFormatException e) {
      throw new UpstreamException(
          "the Hub sent an unusable X-Linked-Size '"
              + header.substring(0, Math.min(header.length(), 40))
              + "'");
    }
  }
}
