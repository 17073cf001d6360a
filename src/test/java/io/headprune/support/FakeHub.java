package io.headprune.support;

import io.headprune.checkpoint.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;

/**
 * A scriptable Hugging Face Hub on two MockWebServers: the endpoint (API and resolve URLs) and a
 * CDN on another host that LFS downloads (*.safetensors) are redirected to. Serves Range requests;
 * faults can be scripted per file.
 */
public final class FakeHub implements AutoCloseable {

  /** Faults a download can meet once. */
  public enum Fault {
    TRUNCATE_ONCE,
    STALL_ONCE,
    WRONG_SHA,
    BAD_SIZE
  }

  /** A repository: its commit and files. */
  public record Repo(String commit, Map<String, byte[]> files, boolean gated, boolean needsToken) {}

  public final MockWebServer hub = new MockWebServer();
  public final MockWebServer cdn = new MockWebServer();
  public final List<RecordedRequest> hubRequests = Collections.synchronizedList(new ArrayList<>());
  public final List<RecordedRequest> cdnRequests = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  private final String token;

  public FakeHub(String token) {
    this.token = token;
    hub.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            hubRequests.add(request);
            return endpoint(request);
          }
        });
    cdn.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            cdnRequests.add(request);
            return cdn(request);
          }
        });
    try {
      hub.start();
      cdn.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The endpoint URL (what HF_ENDPOINT would be). */
  public String endpoint() {
    return "http://" + hub.getHostName() + ":" + hub.getPort();
  }

  /** Serves a model directory's files as repository {@code repo} at a fixed commit. */
  public Repo addModel(
      String repo, Path directory, List<String> names, boolean gated, boolean needsToken) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try {
      for (String name : names) {
        files.put(name, Files.readAllBytes(directory.resolve(name)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return add(repo, files, gated, needsToken);
  }

  /**
   * Serves the given files as repository {@code repo} (prefix datasets/ for a dataset repository).
   */
  public Repo add(String repo, Map<String, byte[]> files, boolean gated, boolean needsToken) {
    String commit = sha256(repo.getBytes()).substring(0, 40);
    Repo value = new Repo(commit, files, gated, needsToken);
    repos.put(repo, value);
    return value;
  }

  private final Map<String, Map<String, Repo>> branches = new ConcurrentHashMap<>();

  /**
   * Serves {@code files} as branch {@code revision} of an added repository (e.g. the Hub's Parquet
   * conversion, refs/convert/parquet), at a commit of its own.
   */
  public Repo addBranch(String repo, String revision, Map<String, byte[]> files) {
    Repo main = repos.get(repo);
    Repo branch =
        new Repo(
            sha256((repo + "@" + revision).getBytes()).substring(0, 40),
            files,
            main.gated(),
            main.needsToken());
    branches.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(revision, branch);
    return branch;
  }

  /** Scripts a fault for a file's next download. */
  public void fault(String file, Fault fault) {
    faults.put(file, fault);
  }

  private MockResponse endpoint(RecordedRequest request) {
    String path = request.getUrl().encodedPath();
    String[] parts = path.substring(1).split("/");
    boolean authorized =
        token == null || ("Bearer " + token).equals(request.getHeaders().get("Authorization"));
    if (path.startsWith("/api/")) {
      // /api/{models|datasets}/{org}/{name}/revision/{rev}
      String repo = (parts[1].equals("datasets") ? "datasets/" : "") + parts[2] + "/" + parts[3];
      String revision =
          java.net.URLDecoder.decode(parts[5], java.nio.charset.StandardCharsets.UTF_8);
      Repo value = repos.get(repo);
      Repo branch = branches.getOrDefault(repo, Map.of()).get(revision);
      if (value != null && branch != null) {
        value = branch;
        revision = "main"; // answered as the branch
      }
      if (value == null) {
        return error(404, "RepoNotFound", "Repository not found");
      }
      if (value.needsToken() && !authorized) {
        return error(401, null, "Invalid credentials in Authorization header");
      }
      if (value.gated()) {
        return error(403, "GatedRepo", "Access to model " + repo + " is restricted");
      }
      if (!revision.equals("main") && !revision.equals(value.commit())) {
        return error(404, "RevisionNotFound", "Invalid rev id: " + revision);
      }
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("id", repo);
      info.put("sha", value.commit());
      List<Map<String, String>> siblings = new ArrayList<>();
      value.files().keySet().forEach(name -> siblings.add(Map.of("rfilename", name)));
      info.put("siblings", siblings);
      return new MockResponse.Builder()
          .code(200)
          .addHeader("Content-Type", "application/json")
          .body(Json.MAPPER.writeValueAsString(info))
          .build();
    }
    // /{datasets/}?{org}/{name}/resolve/{commit}/{file}
    int offset = parts[0].equals("datasets") ? 1 : 0;
    String repo = (offset == 1 ? "datasets/" : "") + parts[offset] + "/" + parts[offset + 1];
    String file = String.join("/", java.util.Arrays.copyOfRange(parts, offset + 4, parts.length));
    Repo value = repos.get(repo);
    String commit = parts[offset + 3];
    for (Repo branch : branches.getOrDefault(repo, Map.of()).values()) {
      if (branch.commit().equals(commit)) {
        value = branch;
      }
    }
    if (value == null || !value.files().containsKey(file)) {
      return error(404, "EntryNotFound", "Entry not found");
    }
    byte[] bytes = value.files().get(file);
    if (file.endsWith(".safetensors")) {
      String sha = sha256(bytes);
      blobs.put(sha, bytes);
      Fault fault = faults.remove(file);
      String linked = fault == Fault.WRONG_SHA ? sha256("other".getBytes()) : sha;
      if (fault != null && fault != Fault.WRONG_SHA && fault != Fault.BAD_SIZE) {
        faults.put(sha, fault); // the CDN meets it
      }
      return new MockResponse.Builder()
          .code(302)
          .addHeader(
              "Location", "http://" + cdn.getHostName() + ":" + cdn.getPort() + "/blobs/" + sha)
          .addHeader("X-Linked-Etag", "\"" + linked + "\"")
          .addHeader(
              "X-Linked-Size", fault == Fault.BAD_SIZE ? "abc" : String.valueOf(bytes.length))
          .addHeader("X-Repo-Commit", value.commit())
          .build();
    }
    return ranged(
        request,
        bytes,
        faults.remove(file),
        Map.of(
            "ETag", "\"" + sha256(bytes).substring(0, 40) + "\"", "X-Repo-Commit", value.commit()));
  }

  private MockResponse cdn(RecordedRequest request) {
    String sha = request.getUrl().pathSegments().get(1);
    byte[] bytes = blobs.get(sha);
    if (bytes == null) {
      return new MockResponse.Builder().code(404).build();
    }
    return ranged(request, bytes, faults.remove(sha), Map.of());
  }

  private static MockResponse ranged(
      RecordedRequest request, byte[] bytes, Fault fault, Map<String, String> headers) {
    String range = request.getHeaders().get("Range");
    int from = 0;
    MockResponse.Builder response = new MockResponse.Builder().code(200);
    headers.forEach(response::addHeader);
    if (range != null && range.startsWith("bytes=")) {
      from = Integer.parseInt(range.substring(6, range.indexOf('-')));
      response
          .code(206)
          .addHeader(
              "Content-Range", "bytes " + from + "-" + (bytes.length - 1) + "/" + bytes.length);
    }
    Buffer body = new Buffer().write(bytes, from, bytes.length - from);
    if (fault == Fault.TRUNCATE_ONCE) {
      // announce the whole length, send half, then drop the connection
      Buffer half = new Buffer().write(bytes, from, (bytes.length - from) / 2);
      return response
          .body(half)
          .setHeader("Content-Length", bytes.length - from)
          .onResponseEnd(SocketEffect.ShutdownConnection.INSTANCE)
          .build();
    }
    if (fault == Fault.STALL_ONCE) {
      return response.body(body).throttleBody(4096, 30, TimeUnit.SECONDS).build();
    }
    return response.body(body).build();
  }

  private static MockResponse error(int code, String errorCode, String message) {
    MockResponse.Builder response =
        new MockResponse.Builder()
            .code(code)
            .addHeader("X-Error-Message", message)
            .body("{\"error\":\"" + message + "\"}");
    if (errorCode != null) {
      response.addHeader("X-Error-Code", errorCode);
    }
    return response.build();
  }

  /** SHA-256 of bytes (hex). */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    hub.close();
    cdn.close();
  }
}
