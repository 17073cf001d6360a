package io.headprune.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.ForbiddenException;
import io.headprune.problem.InvalidInputException;
import io.headprune.support.FakeHub;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pruned model pushed to the (mock) Hub as one commit, its weights through LFS. */
class HubUploadTest {

  @TempDir Path dir;

  private static HubSettings settings(FakeHub hub, String token, Path cache) {
    return new HubSettings(
        URI.create(hub.endpoint()), token, cache, false, Duration.ofSeconds(10), 1);
  }

  @Test
  void aDirectoryIsPushedAsOneCommitWithItsWeightsThroughLfs() throws Exception {
    Path model = Files.createDirectories(dir.resolve("pruned"));
    byte[] weights = new byte[64 * 1024];
    new Random(7).nextBytes(weights);
    Files.write(model.resolve("model.safetensors"), weights);
    Files.writeString(model.resolve("config.json"), "{\"pruned_heads\": {\"0\": [1]}}");
    Files.writeString(model.resolve("README.md"), "---\nbase_model: org/base\n---\n# card\n");
    try (FakeHub hub = new FakeHub("hf_write")) {
      HubUpload upload = new HubUpload(settings(hub, "hf_write", dir.resolve("cache")));
      HubUpload.Pushed pushed =
          upload.push(model, "acme/base-pruned", "main", true, "headprune job x");
      assertThat(pushed.files()).isEqualTo(3);
      assertThat(pushed.lfsFiles()).isEqualTo(1);
      assertThat(pushed.commit()).hasSize(40);
      assertThat(pushed.url()).contains("/acme/base-pruned/commit/");
      assertThat(hub.pushed("acme/base-pruned"))
          .containsOnlyKeys("model.safetensors", "config.json", "README.md");
      assertThat(hub.pushed("acme/base-pruned").get("model.safetensors")).isEqualTo(weights);
      assertThat(
              new String(hub.pushed("acme/base-pruned").get("README.md"), StandardCharsets.UTF_8))
          .contains("base_model: org/base");
      assertThat(hub.commits.get("acme/base-pruned")).containsExactly("headprune job x");

      // again: the repository exists (kept), the weights are on the Hub already (not re-sent)
      int puts = (int) hub.hubRequests.stream().filter(r -> "PUT".equals(r.getMethod())).count();
      upload.push(model, "acme/base-pruned", "main", true, "again");
      assertThat(hub.commits.get("acme/base-pruned")).containsExactly("headprune job x", "again");
      assertThat(hub.hubRequests.stream().filter(r -> "PUT".equals(r.getMethod())).count())
          .isEqualTo(puts);
    }
  }

  @Test
  void aWrongTokenOrNameIsRefusedBeforeAnythingIsStored() throws Exception {
    Path model = Files.createDirectories(dir.resolve("masked"));
    Files.writeString(model.resolve("config.json"), "{}");
    try (FakeHub hub = new FakeHub("hf_write")) {
      assertThatThrownBy(
              () ->
                  new HubUpload(settings(hub, "hf_read", dir))
                      .push(model, "acme/m", "main", true, "x"))
          .isInstanceOf(ForbiddenException.class)
          .hasMessageContaining("write");
      assertThatThrownBy(
              () ->
                  new HubUpload(settings(hub, null, dir)).push(model, "acme/m", "main", true, "x"))
          .isInstanceOf(ForbiddenException.class)
          .hasMessageContaining("HF_TOKEN");
      assertThatThrownBy(
              () ->
                  new HubUpload(settings(hub, "hf_write", dir))
                      .push(model, "../m", "main", true, "x"))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("org/name");
      assertThat(hub.pushed("acme/m")).isEmpty();
    }
  }
}
