package io.headprune.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.model.Models;
import io.headprune.problem.ForbiddenException;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
import io.headprune.problem.UpstreamException;
import io.headprune.support.FakeHub;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hub client, scripted → run → verified against a local fake Hub and CDN. */
class HubClientTest {

  @TempDir Path cache;

  private final FakeHub fake = new FakeHub("hf_secret");

  @AfterEach
  void close() {
    fake.close();
  }

  private HubClient client(String token, boolean offline) {
    return new HubClient(
        new HubSettings(
            URI.create(fake.endpoint()), token, cache, offline, Duration.ofSeconds(1), 4));
  }

  @Test
  void downloadsAModelIntoACacheLaidOutAsHuggingfaceHubLaysItOut() throws IOException {
    FakeHub.Repo repo =
        fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    HubSnapshot snapshot = client("hf_secret", false).model("org/tiny", "main");
    assertThat(snapshot.commit()).isEqualTo(repo.commit());
    // one revision answer gives both the commit and the file list
    assertThat(fake.hubRequests.stream().filter(r -> r.getUrl().encodedPath().startsWith("/api/")))
        .hasSize(1);
    Path folder = cache.resolve("models--org--tiny");
    assertThat(Files.readString(folder.resolve("refs/main"))).isEqualTo(repo.commit());
    assertThat(snapshot.directory()).isEqualTo(folder.resolve("snapshots/" + repo.commit()));
    Path weights = snapshot.directory().resolve("model.safetensors");
    assertThat(Files.isSymbolicLink(weights)).isTrue();
    String sha =
        FakeHub.sha256(Files.readAllBytes(Fixtures.tinyBert().resolve("model.safetensors")));
    assertThat(Files.readSymbolicLink(weights)).hasToString("../../blobs/" + sha);
    assertThat(Files.readAllBytes(weights))
        .isEqualTo(Files.readAllBytes(Fixtures.tinyBert().resolve("model.safetensors")));
    try (Checkpoint checkpoint = Models.open(snapshot.directory())) {
      assertThat(checkpoint.tensors()).containsKey("bert.embeddings.word_embeddings.weight");
    }
  }

  @Test
  void aRedirectToAnotherHostCarriesNoAuthorization() {
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, true);
    client("hf_secret", false).model("org/tiny", "main");
    assertThat(fake.hubRequests)
        .allSatisfy(
            request ->
                assertThat(request.getHeaders().get("Authorization"))
                    .isEqualTo("Bearer hf_secret"));
    assertThat(fake.cdnRequests)
        .isNotEmpty()
        .allSatisfy(request -> assertThat(request.getHeaders().get("Authorization")).isNull());
  }

  @Test
  void shardedWeightsAreFetchedThroughTheirIndex() throws IOException {
    byte[] weights = Files.readAllBytes(Fixtures.tinyBert().resolve("model.safetensors"));
    String index =
        "{\"metadata\": {}, \"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\","
            + " \"b\": \"model-00002-of-00002.safetensors\"}}";
    fake.add(
        "org/sharded",
        Map.of(
            "config.json",
            Files.readAllBytes(Fixtures.tinyBert().resolve("config.json")),
            "model.safetensors.index.json",
            index.getBytes(),
            "model-00001-of-00002.safetensors",
            weights,
            "model-00002-of-00002.safetensors",
            new byte[] {1, 2, 3}),
        false,
        false);
    HubSnapshot snapshot = client(null, false).model("org/sharded", "main");
    assertThat(snapshot.directory().resolve("model-00001-of-00002.safetensors")).exists();
    assertThat(snapshot.directory().resolve("model-00002-of-00002.safetensors"))
        .hasBinaryContent(new byte[] {1, 2, 3});
  }

  @Test
  void unauthorizedGatedAndMissingRepositoriesSayWhatToDo() {
    fake.addModel("org/private", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, true);
    fake.addModel("org/gated", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, true, false);
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    assertThatThrownBy(() -> client(null, false).model("org/private", "main"))
        .isInstanceOf(ForbiddenException.class)
        .hasMessageContaining("set HF_TOKEN");
    assertThatThrownBy(() -> client("hf_secret", false).model("org/gated", "main"))
        .isInstanceOf(ForbiddenException.class)
        .hasMessageContaining("gated");
    assertThatThrownBy(() -> client("hf_secret", false).model("org/nope", "main"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("org/nope was not found");
    assertThatThrownBy(() -> client("hf_secret", false).model("org/tiny", "v9"))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining("revision v9 was not found");
  }

  @Test
  void aModelWithoutSafetensorsIsNamedWithWhatWasFound() {
    fake.add(
        "org/pickled",
        Map.of("config.json", "{}".getBytes(), "pytorch_model.bin", new byte[] {1}),
        false,
        false);
    assertThatThrownBy(() -> client(null, false).model("org/pickled", "main"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no safetensors weights (found: config.json, pytorch_model.bin)");
  }

  @Test
  void anUnusableSizeFromTheHubIsTheHubsErrorNamed() {
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    fake.fault("model.safetensors", FakeHub.Fault.BAD_SIZE);
    assertThatThrownBy(() -> client(null, false).model("org/tiny", "main"))
        .isInstanceOf(UpstreamException.class)
        .hasMessageContaining("unusable X-Linked-Size 'abc'");
  }

  @Test
  void aTruncatedBodyIsResumedWithRange() throws IOException {
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    fake.fault("model.safetensors", FakeHub.Fault.TRUNCATE_ONCE);
    HubSnapshot snapshot = client(null, false).model("org/tiny", "main");
    assertThat(Files.readAllBytes(snapshot.directory().resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(Fixtures.tinyBert().resolve("model.safetensors")));
    assertThat(fake.cdnRequests).hasSize(2);
    RecordedRequest resumed = fake.cdnRequests.get(1);
    assertThat(resumed.getHeaders().get("Range")).matches("bytes=[1-9][0-9]*-");
  }

  @Test
  void aStalledBodyIsCutAndResumed() throws IOException {
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    fake.fault("model.safetensors", FakeHub.Fault.STALL_ONCE);
    HubSnapshot snapshot = client(null, false).model("org/tiny", "main");
    assertThat(Files.readAllBytes(snapshot.directory().resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(Fixtures.tinyBert().resolve("model.safetensors")));
    assertThat(fake.cdnRequests.get(fake.cdnRequests.size() - 1).getHeaders().get("Range"))
        .startsWith("bytes=");
  }

  @Test
  void aWrongSha256IsRejectedAndNothingIsCached() throws IOException {
    FakeHub.Repo repo =
        fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    fake.fault("model.safetensors", FakeHub.Fault.WRONG_SHA);
    assertThatThrownBy(() -> client(null, false).model("org/tiny", "main"))
        .isInstanceOf(UpstreamException.class)
        .hasMessageContaining("SHA-256 of model.safetensors");
    Path folder = cache.resolve("models--org--tiny");
    assertThat(folder.resolve("snapshots/" + repo.commit() + "/model.safetensors")).doesNotExist();
    try (var blobs = Files.list(folder.resolve("blobs"))) {
      assertThat(blobs.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.length() == 64 || name.endsWith(".incomplete"));
    }
  }

  @Test
  void offlineModeUsesTheCacheAndSaysSoWhenItMisses() {
    fake.addModel("org/tiny", Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES, false, false);
    HubSnapshot online = client(null, false).model("org/tiny", "main");
    int requests = fake.hubRequests.size() + fake.cdnRequests.size();
    HubSnapshot offline = client(null, true).model("org/tiny", "main");
    assertThat(offline).isEqualTo(online);
    assertThat(fake.hubRequests.size() + fake.cdnRequests.size()).isEqualTo(requests);
    assertThatThrownBy(() -> client(null, true).model("org/other", "main"))
        .isInstanceOf(UpstreamException.class)
        .hasMessageContaining("HF_HUB_OFFLINE=1");
  }

  @Test
  void aDatasetFileLargerThanTheBoundIsRefusedAndNothingStaysInTheCache() throws IOException {
    byte[] calibration = Files.readAllBytes(Fixtures.tinyBert().resolve("calib.jsonl"));
    fake.add("datasets/org/big", Map.of("train.jsonl", calibration), false, false);
    HubClient client = client(null, false);
    assertThatThrownBy(() -> client.datasetFile("org/big", "train.jsonl", "main", 1000))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("train.jsonl of org/big is more than 1000 bytes");
    try (var files = Files.walk(cache)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.contains("incomplete") || name.equals("train.jsonl"));
    }
    assertThatThrownBy(
            () -> client.datasetFile("org/big", "train.jsonl", "main", Long.MAX_VALUE, 100))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("has more than 100 lines");
    try (var files = Files.walk(cache)) {
      assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.contains("incomplete") || name.equals("train.jsonl"));
    }
    Path file = client.datasetFile("org/big", "train.jsonl", "main", calibration.length, 256);
    assertThat(file).hasBinaryContent(calibration);
    client.evict(file);
    assertThat(file).doesNotExist();
  }

  @Test
  void datasetFilesComeFromDatasetRepositories() throws IOException {
    fake.add(
        "datasets/org/calib",
        Map.of("train.jsonl", Files.readAllBytes(Fixtures.tinyBert().resolve("calib.jsonl"))),
        false,
        false);
    Path file = client(null, false).datasetFile("org/calib", "train.jsonl", "main");
    assertThat(file.toString()).contains("datasets--org--calib");
    assertThat(Files.readAllLines(file)).hasSize(256);
  }

  @Test
  void namesThatCouldEscapeTheCacheAreRefused() {
    assertThatThrownBy(() -> client(null, false).model("../etc", "main"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> client(null, false).model("org/x", "../../x"))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> client(null, false).datasetFile("org/x", "../secret", "main"))
        .isInstanceOf(InvalidInputException.class);
  }
}
