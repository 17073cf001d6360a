package io.headprune.hub;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.Tables;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The Hugging Face Hub client. Only {@link HubSettings#endpoint()} is ever asked for anything (no
 * URL comes from a request); downloads follow its redirects, sending the token to the endpoint's
 * host only.
 */
public final class HubClient {

  private static final Pattern REPO =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");
  private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,256}");
  private static final Pattern FILE = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

  /** Files of a model snapshot besides the weights, fetched when the repository has them. */
  private static final List<String> MODEL_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt");

  private final HubSettings settings;
  private final HttpClient http;
  private final HubCache cache;
  private final Downloads downloads;

  public HubClient(HubSettings settings) {
    this(
        settings,
        HttpClient.newBuilder()
            .connectTimeout(settings.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        new HubCache(settings.cache()));
  }

  private HubClient(HubSettings settings, HttpClient http, HubCache cache) {
    this.settings = settings;
    this.http = http;
    this.cache = cache;
    this.downloads = new Downloads(settings, http, cache);
  }

  /**
   * This client with another token (a tenant's; null: none), sharing the connection pool and the
   * cache. The cache is shared safely while online: every use first resolves the revision at the
   * Hub with the caller's own token, which the Hub refuses for a repository the token cannot read.
   */
  public HubClient withToken(String token) {
    return new HubClient(
        new HubSettings(
            settings.endpoint(),
            token,
            settings.cache(),
            settings.offline(),
            settings.timeout(),
            settings.attempts()),
        http,
        cache);
  }

  /** The settings in use. */
  public HubSettings settings() {
    return settings;
  }

  /** A revision resolved to its commit, with the files the repository has there. */
  private record Revision(String commit, Set<String> files) {}

  /** Resolves {@code revision} of a repository to a commit (from the cache when offline). */
  public String resolve(RepoType type, String repo, String revision) {
    return revision(type, repo, revision).commit();
  }

  /** One answer of the Hub's revision API gives both the commit and the file list. */
  private Revision revision(RepoType type, String repo, String revision) {
    check(repo, revision);
    if (settings.offline()) {
      String commit =
          cache
              .commitOf(type, repo, revision)
              .orElseThrow(
                  () ->
                      new UpstreamException(
                          "HF_HUB_OFFLINE=1 and "
                              + repo
                              + "@"
                              + revision
                              + " is not in the cache at "
                              + settings.cache()));
      return new Revision(commit, cachedFiles(cache.snapshot(type, repo, commit)));
    }
    JsonNode info = info(type, repo, revision);
    String commit = info.path("sha").asString("");
    if (!commit.matches("[0-9a-f]{40}")) {
      throw new UpstreamException(
          "the Hub answered revision " + revision + " of " + repo + " without a commit sha");
    }
    cache.writeRef(type, repo, revision, commit);
    Set<String> files = new LinkedHashSet<>();
    for (JsonNode sibling : info.path("siblings")) {
      files.add(sibling.path("rfilename").asString(""));
    }
    return new Revision(commit, files);
  }

  /** Downloads (or finds in the cache) a model's config, tokenizer and safetensors weights. */
  public HubSnapshot model(String repo, String revision) {
    Revision resolved = revision(RepoType.MODEL, repo, revision);
    String commit = resolved.commit();
    Path snapshot = cache.snapshot(RepoType.MODEL, repo, commit);
    Set<String> files = resolved.files();
    if (!files.contains("config.json")) {
      throw new InvalidInputException(
          "Hub model "
              + repo
              + "@"
              + revision
              + " has no config.json"
              + (settings.offline() ? " in the cache" : ""));
    }
    List<String> wanted = new ArrayList<>(List.of("config.json"));
    MODEL_FILES.stream().filter(files::contains).forEach(wanted::add);
    boolean single = files.contains(Checkpoint.WEIGHTS);
    if (!single && !files.contains(Checkpoint.INDEX)) {
      throw new InvalidInputException(
          "Hub model "
              + repo
              + "@"
              + revision
              + " has no safetensors weights (found: "
              + String.join(", ", files.stream().filter(f -> !f.startsWith(".")).sorted().toList())
              + "); headprune reads model.safetensors or a sharded model.safetensors.index.json");
    }
    wanted.add(single ? Checkpoint.WEIGHTS : Checkpoint.INDEX);
    for (String file : wanted) {
      fetch(RepoType.MODEL, repo, commit, file);
    }
    if (!single) {
      for (String shard : shards(snapshot.resolve(Checkpoint.INDEX))) {
        fetch(RepoType.MODEL, repo, commit, shard);
      }
    }
    return new HubSnapshot(snapshot, commit);
  }

  /** Downloads (or finds in the cache) one file of a dataset repository. */
  public Path datasetFile(String repo, String file, String revision) {
    return datasetFile(repo, file, revision, Long.MAX_VALUE);
  }

  /**
   * A dataset file of at most {@code maxBytes}: refused from its announced size before the body is
   * read, or as soon as more arrives; nothing of it stays in the cache.
   */
  public Path datasetFile(String repo, String file, String revision, long maxBytes) {
    return datasetFile(repo, file, revision, maxBytes, Long.MAX_VALUE);
  }

  /** As above, also refused while it arrives once it has more than {@code maxLines} lines. */
  public Path datasetFile(String repo, String file, String revision, long maxBytes, long maxLines) {
    checkFile(file);
    String commit = resolve(RepoType.DATASET, repo, revision);
    return fetch(RepoType.DATASET, repo, commit, file, maxBytes, maxLines);
  }

  /**
   * A split of a dataset repository as {@code datasets.load_dataset(repo, config, split=…)} finds
   * it, its files downloaded in order until they hold {@code rows} rows (so a sample of a large
   * sharded dataset downloads only the first shards).
   *
   * @param repo org/name
   * @param revision the revision asked for
   * @param commit the commit the files were read at (of refs/convert/parquet when converted)
   * @param source card, layout or parquet
   * @param config the config
   * @param split the split
   * @param splitFiles every file of the split, in order
   * @param downloaded the files downloaded, as cached paths, in order
   * @param names their repository paths
   * @param bytes bytes downloaded
   * @param rows rows the downloaded files hold
   * @param labelNames the card's class_label names of the config, by column
   */
  public record Split(
      String repo,
      String revision,
      String commit,
      String source,
      String config,
      String split,
      List<String> splitFiles,
      List<Path> downloaded,
      List<String> names,
      long bytes,
      long rows,
      Map<String, List<String>> labelNames) {

    /**
     * Copies the downloaded files into {@code directory} (numbered, in order) with a {@link
     * io.headprune.checkpoint.Tables#MANIFEST} that lists them, caps the rows read at {@code
     * limit}, and records where they came from; returns the manifest's bytes (the same split,
     * commit and limit give the same bytes).
     */
    public byte[] materialize(Path directory, long limit) {
      try {
        Files.createDirectories(directory);
        List<String> local = new ArrayList<>();
        for (int i = 0; i < downloaded.size(); i++) {
          String name = names.get(i);
          String file = String.format("%04d-%s", i, name.substring(name.lastIndexOf('/') + 1));
          Files.copy(downloaded.get(i), directory.resolve(file));
          local.add(file);
        }
        var manifest = Json.MAPPER.createObjectNode();
        manifest.set("files", Json.MAPPER.valueToTree(local));
        manifest.put("rows", limit);
        manifest.set("origin", Json.MAPPER.valueToTree(origin()));
        byte[] bytes = Json.MAPPER.writeValueAsBytes(manifest);
        Files.write(directory.resolve(Tables.MANIFEST), bytes);
        return bytes;
      } catch (IOException e) {
        throw new UncheckedIOException("storing " + repo + " " + split, e);
      }
    }

    /** Where the split came from, as recorded (repo as datasets/org/name). */
    public Map<String, Object> origin() {
      Map<String, Object> origin = new LinkedHashMap<>();
      origin.put("repo", "datasets/" + repo);
      origin.put("revision", revision);
      origin.put("commit", commit);
      origin.put("source", source);
      origin.put("config", config);
      origin.put("split", split);
      origin.put("files", names);
      origin.put("splitFiles", splitFiles.size());
      origin.put("bytes", bytes);
      origin.put("labelNames", labelNames);
      return origin;
    }
  }

  /**
   * Resolves {@code config}/{@code split} of a dataset repository (card configs, then file-name
   * layouts, then the Parquet conversion) and downloads its files in order until they hold {@code
   * rows} rows; each file at most {@code maxBytes}. A missing config or split is a 404 listing
   * those that exist.
   */
  public Split datasetSplit(
      String repo,
      String revision,
      String config,
      String split,
      long rows,
      long maxBytes,
      DatasetReader.Limits limits) {
    Revision main = revision(RepoType.DATASET, repo, revision);
    Map<String, Object> card = Map.of();
    if (main.files().contains("README.md")) {
      Path readme =
          fetch(RepoType.DATASET, repo, main.commit(), "README.md", 1 << 20, Long.MAX_VALUE);
      try {
        card = DatasetLayout.cardHeader(Files.readString(readme, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new InvalidInputException("the dataset card of " + repo + " is not UTF-8 text");
      }
    }
    DatasetLayout layout = DatasetLayout.of(card, main.files());
    String commit = main.commit();
    if (layout == null) {
      Revision converted;
      try {
        converted = revision(RepoType.DATASET, repo, DatasetLayout.PARQUET_REVISION);
      } catch (NotFoundException e) {
        throw new NotFoundException(
            "dataset "
                + repo
                + "@"
                + revision
                + " has no data file headprune reads (.jsonl, .json, .csv, .tsv, .parquet) and no"
                + " Parquet conversion ("
                + DatasetLayout.PARQUET_REVISION
                + ")");
      }
      layout = DatasetLayout.parquetConversion(converted.files(), DatasetLayout.labelNames(card));
      commit = converted.commit();
    }
    String chosen = layout.config(config);
    List<String> files = layout.files(repo, chosen, split);
    List<Path> downloaded = new ArrayList<>();
    long have = 0;
    long bytes = 0;
    for (String file : files) {
      Path path = fetch(RepoType.DATASET, repo, commit, file, maxBytes, Long.MAX_VALUE);
      try {
        bytes += Files.size(path);
        have += Tables.rowCount(path, file, limits);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InvalidInputException refused) {
        evict(path);
        throw refused;
      }
      downloaded.add(path);
      if (have >= rows) {
        break;
      }
    }
    return new Split(
        repo,
        revision,
        commit,
        layout.source(),
        chosen,
        split,
        files,
        downloaded,
        files.subList(0, downloaded.size()),
        bytes,
        have,
        layout.labelNames().getOrDefault(chosen, Map.of()));
  }

  /**
   * Removes a downloaded file (its snapshot link and blob) from the cache, e.g. once it was
   * refused.
   */
  public void evict(Path snapshotFile) {
    try {
      Path blob =
          Files.isSymbolicLink(snapshotFile)
              ? snapshotFile.getParent().resolve(Files.readSymbolicLink(snapshotFile)).normalize()
              : null;
      Files.deleteIfExists(snapshotFile);
      if (blob != null) {
        Files.deleteIfExists(blob);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "evicting " + snapshotFile.getFileName() + " from the Hub cache", e);
    }
  }

  private static void checkFile(String file) {
    if (file == null || !FILE.matcher(file).matches() || file.contains("..")) {
      throw new InvalidInputException(
          "'" + file + "' is not a valid file name in a Hub repository");
    }
  }

  private Path fetch(RepoType type, String repo, String commit, String file) {
    return fetch(type, repo, commit, file, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  private Path fetch(
      RepoType type, String repo, String commit, String file, long maxBytes, long maxLines) {
    checkFile(file);
    Path cached = cache.snapshot(type, repo, commit).resolve(file);
    if (Files.exists(cached)) {
      return cached;
    }
    if (settings.offline()) {
      throw new UpstreamException(
          "HF_HUB_OFFLINE=1 and " + file + " of " + repo + "@" + commit + " is not in the cache");
    }
    URI url =
        URI.create(
            settings.endpoint()
                + "/"
                + type.urlPrefix()
                + repo
                + "/resolve/"
                + commit
                + "/"
                + encodePath(file));
    return downloads.fetch(type, repo, commit, file, url, maxBytes, maxLines);
  }

  private JsonNode info(RepoType type, String repo, String revision) {
    URI url =
        URI.create(
            settings.endpoint()
                + "/api/"
                + type.plural()
                + "/"
                + repo
                + "/revision/"
                + URLEncoder.encode(revision, StandardCharsets.UTF_8));
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(settings.timeout()).GET();
    if (settings.token() != null) {
      request.header("Authorization", "Bearer " + settings.token());
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new UpstreamException(
          "cannot reach the Hub at " + settings.endpoint() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UpstreamException("interrupted while asking the Hub about " + repo, e);
    }
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw HubErrors.of(response.statusCode(), response.headers(), repo, revision, null);
      }
      return Json.parse(body.readNBytes(16 * 1024 * 1024), "the Hub's answer about " + repo);
    } catch (IOException e) {
      throw new UpstreamException(
          "reading the Hub's answer about " + repo + ": " + e.getMessage(), e);
    }
  }

  private static Set<String> cachedFiles(Path snapshot) {
    Set<String> files = new LinkedHashSet<>();
    try (var list = Files.list(snapshot)) {
      list.forEach(path -> files.add(path.getFileName().toString()));
    } catch (IOException e) {
      throw new UpstreamException("HF_HUB_OFFLINE=1 and the cache has no snapshot at " + snapshot);
    }
    return files;
  }

  private static List<String> shards(Path index) {
    try {
      JsonNode map = Json.parse(Files.readAllBytes(index), Checkpoint.INDEX).path("weight_map");
      Set<String> shards = new LinkedHashSet<>();
      for (Map.Entry<String, JsonNode> entry : map.properties()) {
        shards.add(entry.getValue().asString(""));
      }
      return List.copyOf(shards);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void check(String repo, String revision) {
    if (repo == null || !REPO.matcher(repo).matches() || repo.contains("..")) {
      throw new InvalidInputException(
          "'" + repo + "' is not a Hub repository name such as org/name");
    }
    if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
      throw new InvalidInputException("'" + revision + "' is not a valid revision");
    }
  }

  private static String encodePath(String file) {
    StringBuilder out = new StringBuilder();
    for (String part : file.split("/")) {
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }
}
