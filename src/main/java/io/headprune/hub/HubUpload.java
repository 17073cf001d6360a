package io.headprune.hub;

import io.headprune.checkpoint.Json;
import io.headprune.problem.ForbiddenException;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UpstreamException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;

/**
 * Pushes a directory (a pruned model with its card) to a Hub model repository as one commit,
 * through the Hub's HTTP API as {@code huggingface_hub}'s {@code upload_folder} does: the
 * repository is created if it does not exist ({@code POST /api/repos/create}; an existing one is
 * kept), the Hub says which files go through LFS ({@code /preupload}), those are uploaded to the
 * storage the LFS batch API names (skipped when the Hub has them), and one commit ({@code
 * /commit/<revision>}, NDJSON) adds every file.
 */
public final class HubUpload {

  private static final Pattern REPO =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,256}");

  private final HubSettings settings;
  private final HttpClient http;

  public HubUpload(HubSettings settings) {
    this.settings = settings;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  /**
   * What a push made.
   *
   * @param repo the repository, {@code org/name}
   * @param revision the branch committed to
   * @param commit the commit's id, as the Hub gave it
   * @param url the commit's page
   * @param files files committed
   * @param lfsFiles of them, those uploaded through LFS
   */
  public record Pushed(
      String repo, String revision, String commit, String url, int files, int lfsFiles) {}

  /** One file to push: its path in the repository, size, SHA-256 and place on disk. */
  private record Item(String path, Path file, long size, String sha256) {}

  /** Checks {@code repo} and {@code revision} as a push takes them (a 4xx before any upload). */
  public static void check(String repo, String revision) {
    if (repo == null || !REPO.matcher(repo).matches() || repo.contains("..")) {
      throw new InvalidInputException("repo must be a Hub repository name such as org/name");
    }
    if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
      throw new InvalidInputException("revision must be a valid branch name");
    }
  }

  /** Pushes every file under {@code directory} to {@code repo} at {@code revision}. */
  public Pushed push(
      Path directory, String repo, String revision, boolean privateRepo, String summary) {
    check(repo, revision);
    if (settings.token() == null || settings.token().isBlank()) {
      throw new ForbiddenException(
          "pushing to the Hub needs a token with write access: HF_TOKEN (the service: the"
              + " tenant's Hub token, PUT /v1/tenants/{id}/hub-token)");
    }
    List<Item> items = items(directory);
    createRepo(repo, privateRepo);
    Map<String, String> modes = preupload(repo, revision, items);
    List<Item> lfs = items.stream().filter(i -> "lfs".equals(modes.get(i.path()))).toList();
    if (!lfs.isEmpty()) {
      uploadLfs(repo, lfs);
    }
    JsonNode done = commit(repo, revision, items, modes, summary);
    return new Pushed(
        repo,
        revision,
        done.path("commitOid").asString(""),
        done.path("commitUrl").asString(""),
        items.size(),
        lfs.size());
  }

  private static List<Item> items(Path directory) {
    List<Item> items = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(directory)) {
      for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
        String path = directory.relativize(file).toString().replace('\\', '/');
        items.add(new Item(path, file, Files.size(file), sha256(file)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (items.isEmpty()) {
      throw new InvalidInputException("nothing to push: " + directory.getFileName() + " is empty");
    }
    return items;
  }

  private void createRepo(String repo, boolean privateRepo) {
    String[] parts = repo.split("/", 2);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "model");
    body.put("name", parts[1]);
    body.put("organization", parts[0]);
    body.put("private", privateRepo);
    HttpResponse<byte[]> response =
        send(
            request("/api/repos/create")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body))),
            repo);
    if (response.statusCode() != 409) { // an existing repository is pushed to as it is
      answer(response, repo, null);
    }
  }

  /** The Hub's upload mode per path: {@code lfs} or {@code regular}. */
  private Map<String, String> preupload(String repo, String revision, List<Item> items) {
    List<Map<String, Object>> files = new ArrayList<>();
    for (Item item : items) {
      files.add(Map.of("path", item.path(), "size", item.size(), "sample", sample(item.file())));
    }
    HttpResponse<byte[]> response =
        send(
            request("/api/models/" + repo + "/preupload/" + encode(revision))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofByteArray(
                        Json.MAPPER.writeValueAsBytes(Map.of("files", files)))),
            repo);
    JsonNode answer = answer(response, repo, revision);
    Map<String, String> modes = new LinkedHashMap<>();
    for (JsonNode file : answer.path("files")) {
      modes.put(file.path("path").asString(""), file.path("uploadMode").asString("regular"));
    }
    return modes;
  }

  /** Uploads LFS files the Hub does not have yet, where its LFS batch API says. */
  private void uploadLfs(String repo, List<Item> lfs) {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Item item : lfs) {
      objects.add(Map.of("oid", item.sha256(), "size", item.size()));
    }
    Map<String, Object> batch = new LinkedHashMap<>();
    batch.put("operation", "upload");
    batch.put("transfers", List.of("basic"));
    batch.put("objects", objects);
    batch.put("hash_algo", "sha256");
    HttpResponse<byte[]> response =
        send(
            request("/" + repo + ".git/info/lfs/objects/batch")
                .header("Accept", "application/vnd.git-lfs+json")
                .header("Content-Type", "application/vnd.git-lfs+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(batch))),
            repo);
    JsonNode answer = answer(response, repo, null);
    for (JsonNode object : answer.path("objects")) {
      String oid = object.path("oid").asString("");
      Item item = lfs.stream().filter(i -> i.sha256().equals(oid)).findFirst().orElse(null);
      if (item == null) {
        continue;
      }
      if (object.has("error")) {
        throw new UpstreamException(
            "the Hub refused to store "
                + item.path()
                + ": "
                + object.path("error").path("message").asString(""));
      }
      JsonNode upload = object.path("actions").path("upload");
      if (upload.isMissingNode()) {
        continue; // the Hub has it already
      }
      HttpRequest.Builder put;
      try {
        put =
            HttpRequest.newBuilder(URI.create(upload.path("href").asString("")))
                .timeout(settings.timeout().multipliedBy(60))
                .PUT(HttpRequest.BodyPublishers.ofFile(item.file()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (var header : upload.path("header").properties()) {
        put.header(header.getKey(), header.getValue().asString(""));
      }
      HttpResponse<byte[]> stored = send(put, repo);
      if (stored.statusCode() / 100 != 2) {
        throw new UpstreamException(
            "uploading " + item.path() + " to the Hub's storage failed: " + stored.statusCode());
      }
      JsonNode verify = object.path("actions").path("verify");
      if (!verify.isMissingNode()) {
        HttpRequest.Builder check =
            HttpRequest.newBuilder(URI.create(verify.path("href").asString("")))
                .timeout(settings.timeout())
                .header("Content-Type", "application/vnd.git-lfs+json")
                .header("Authorization", "Bearer " + settings.token())
                .POST(
                    HttpRequest.BodyPublishers.ofByteArray(
                        Json.MAPPER.writeValueAsBytes(
                            Map.of("oid", item.sha256(), "size", item.size()))));
        HttpResponse<byte[]> verified = send(check, repo);
        if (verified.statusCode() / 100 != 2) {
          throw new UpstreamException(
              "the Hub could not verify " + item.path() + ": " + verified.statusCode());
        }
      }
    }
  }

  private JsonNode commit(
      String repo, String revision, List<Item> items, Map<String, String> modes, String summary) {
    StringBuilder ndjson = new StringBuilder();
    line(ndjson, Map.of("key", "header", "value", Map.of("summary", summary, "description", "")));
    for (Item item : items) {
      if ("lfs".equals(modes.get(item.path()))) {
        line(
            ndjson,
            Map.of(
                "key",
                "lfsFile",
                "value",
                Map.of(
                    "path",
                    item.path(),
                    "algo",
                    "sha256",
                    "oid",
                    item.sha256(),
                    "size",
                    item.size())));
      } else {
        try {
          line(
              ndjson,
              Map.of(
                  "key",
                  "file",
                  "value",
                  Map.of(
                      "content",
                      Base64.getEncoder().encodeToString(Files.readAllBytes(item.file())),
                      "path",
                      item.path(),
                      "encoding",
                      "base64")));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    HttpResponse<byte[]> response =
        send(
            request("/api/models/" + repo + "/commit/" + encode(revision))
                .header("Content-Type", "application/x-ndjson")
                .POST(
                    HttpRequest.BodyPublishers.ofString(ndjson.toString(), StandardCharsets.UTF_8)),
            repo);
    return answer(response, repo, revision);
  }

  private static void line(StringBuilder ndjson, Map<String, Object> value) {
    ndjson
        .append(
            Json.MAPPER
                .writer()
                .without(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(value))
        .append('\n');
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(settings.endpoint() + path))
        .timeout(settings.timeout())
        .header("Authorization", "Bearer " + settings.token())
        .header("User-Agent", "headprune");
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request, String repo) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UpstreamException(
          "cannot reach the Hub at "
              + settings.endpoint()
              + " to push "
              + repo
              + ": "
              + e.getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException("interrupted while pushing " + repo + " to the Hub", e);
    }
  }

  private static JsonNode answer(HttpResponse<byte[]> response, String repo, String revision) {
    if (response.statusCode() / 100 != 2) {
      if (response.statusCode() == 401 || response.statusCode() == 403) {
        throw new ForbiddenException(
            "the Hub refused to let this token write to "
                + repo
                + " ("
                + response.statusCode()
                + "): it needs write access to the repository or its organisation");
      }
      throw HubErrors.of(response.statusCode(), response.headers(), repo, revision, null);
    }
    return Json.parse(response.body(), "the Hub's answer about " + repo);
  }

  private static String sample(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Base64.getEncoder().encodeToString(in.readNBytes(512));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String encode(String revision) {
    return URLEncoder.encode(revision, StandardCharsets.UTF_8);
  }
}
