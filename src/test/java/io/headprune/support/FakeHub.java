package io.headprune.support;

import io.headprune.checkpoint.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
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

  /** Repositories pushed to, by name: their files by path, as the last commit left them. */
  private final Map<String, Map<String, byte[]>> pushed = new ConcurrentHashMap<>();

  /** Commit summaries, by repository. */
  public final Map<String, List<String>> commits = new ConcurrentHashMap<>();

  /** LFS objects uploaded, by SHA-256. */
  private final Map<String, byte[]> lfs = new ConcurrentHashMap<>();

  /** The files of a repository pushed to (empty map: none). */
  public Map<String, byte[]> pushed(String repo) {
    return pushed.getOrDefault(repo, Map.of());
  }

  /**
   * The Hub's write API as huggingface_hub's upload_folder uses it: create a repository (409 when
   * it exists), preupload (LFS for weights and anything over 10 MB), the LFS batch API with a
   * storage URL on this server and a verify step, and an NDJSON commit.
   */
  @SuppressWarnings("unchecked")
  private MockResponse push(
      RecordedRequest request, String path, String[] parts, boolean authorized) {
    String method = request.getMethod();
    boolean write =
        path.equals("/api/repos/create")
            || path.matches("/api/models/[^/]+/[^/]+/(preupload|commit)/.+")
            || path.matches("/[^/]+/[^/]+\\.git/info/lfs/objects/batch")
            || path.startsWith("/lfs-storage/")
            || path.equals("/lfs-verify");
    if (!write) {
      return null;
    }
    if (!path.startsWith("/lfs-storage/") && !authorized) {
      return new MockResponse.Builder().code(401).build();
    }
    String body = request.getBody() == null ? "" : request.getBody().utf8();
    if (path.equals("/api/repos/create")) {
      Map<String, Object> ask = Json.MAPPER.readValue(body, Map.class);
      String repo = ask.get("organization") + "/" + ask.get("name");
      if (pushed.putIfAbsent(repo, new ConcurrentHashMap<>()) != null) {
        return json(409, Map.of("error", "You already created this model repo"));
      }
      return json(200, Map.of("url", endpoint() + "/" + repo));
    }
    if (path.startsWith("/lfs-storage/") && "PUT".equals(method)) {
      byte[] bytes = request.getBody().toByteArray();
      String oid = parts[1];
      if (!sha256(bytes).equals(oid)) {
        return new MockResponse.Builder().code(400).body("content does not match its oid").build();
      }
      lfs.put(oid, bytes);
      return new MockResponse.Builder().code(200).build();
    }
    if (path.equals("/lfs-verify")) {
      Map<String, Object> ask = Json.MAPPER.readValue(body, Map.class);
      return new MockResponse.Builder().code(lfs.containsKey(ask.get("oid")) ? 200 : 404).build();
    }
    if (path.endsWith("/info/lfs/objects/batch")) {
      Map<String, Object> ask = Json.MAPPER.readValue(body, Map.class);
      List<Map<String, Object>> objects = new ArrayList<>();
      for (Map<String, Object> object : (List<Map<String, Object>>) ask.get("objects")) {
        String oid = (String) object.get("oid");
        Map<String, Object> answer = new LinkedHashMap<>(object);
        if (!lfs.containsKey(oid)) {
          answer.put(
              "actions",
              Map.of(
                  "upload",
                  Map.of(
                      "href",
                      endpoint() + "/lfs-storage/" + oid,
                      "header",
                      Map.of("X-Storage", "fake")),
                  "verify",
                  Map.of("href", endpoint() + "/lfs-verify")));
        }
        objects.add(answer);
      }
      return json(200, Map.of("transfer", "basic", "objects", objects));
    }
    String repo = parts[2] + "/" + parts[3];
    if (!pushed.containsKey(repo)) {
      return new MockResponse.Builder().code(404).addHeader("X-Error-Code", "RepoNotFound").build();
    }
    if (parts[4].equals("preupload")) {
      Map<String, Object> ask = Json.MAPPER.readValue(body, Map.class);
      List<Map<String, Object>> files = new ArrayList<>();
      for (Map<String, Object> file : (List<Map<String, Object>>) ask.get("files")) {
        String name = (String) file.get("path");
        boolean large = ((Number) file.get("size")).longValue() > 10_000_000L;
        files.add(
            Map.of(
                "path",
                name,
                "uploadMode",
                large || name.endsWith(".safetensors") ? "lfs" : "regular"));
      }
      return json(200, Map.of("files", files));
    }
    // commit: NDJSON, a header, then files (base64) and LFS files (by oid)
    Map<String, byte[]> files = new LinkedHashMap<>(pushed.get(repo));
    String summary = null;
    for (String line : body.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, Object> entry = Json.MAPPER.readValue(line, Map.class);
      Map<String, Object> value = (Map<String, Object>) entry.get("value");
      switch ((String) entry.get("key")) {
        case "header" -> summary = (String) value.get("summary");
        case "file" ->
            files.put(
                (String) value.get("path"),
                Base64.getDecoder().decode((String) value.get("content")));
        case "lfsFile" -> {
          byte[] blob = lfs.get(value.get("oid"));
          if (blob == null) {
            return json(
                422, Map.of("error", "LFS object " + value.get("oid") + " was not uploaded"));
          }
          files.put((String) value.get("path"), blob);
        }
        default -> {
          return json(400, Map.of("error", "unknown key " + entry.get("key")));
        }
      }
    }
    pushed.put(repo, files);
    commits
        .computeIfAbsent(repo, r -> Collections.synchronizedList(new ArrayList<>()))
        .add(summary);
    String commit =
        sha256((repo + files.keySet() + commits.get(repo).size()).getBytes()).substring(0, 40);
    return json(
        200,
        Map.of("commitOid", commit, "commitUrl", endpoint() + "/" + repo + "/commit/" + commit));
  }

  private static MockResponse json(int code, Object body) {
    return new MockResponse.Builder()
        .code(code)
        .addHeader("Content-Type", "application/json")
        .body(Json.MAPPER.writeValueAsString(body))
        .build();
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
    MockResponse push = push(request, path, parts, authorized);
    if (push != null) {
      return push;
    }
    if (path.startsWith("/api/")) {
      // /api/{models|datasets}/{org}/{name}/revision/{rev}
      String repo = (parts[1].equals("datasets") ? "datasets/" : "") + parts[2] + "/" + parts[3];
      String revision = URLDecoder.decode(parts[5], StandardCharsets.UTF_8);
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
    String file = String.join("/", Arrays.copyOfRange(parts, offset + 4, parts.length));
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
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    hub.close();
    cdn.close();
  }
}
