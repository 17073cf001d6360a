package io.headprune.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings huggingface_hub reads from the environment, read the same way. */
class HubSettingsTest {

  @TempDir Path home;

  @Test
  void theTokenIsHfTokenElseTheFileHfAuthLoginWrote() throws Exception {
    Files.writeString(home.resolve("token"), "hf_fromLogin\n");
    Path elsewhere = Files.writeString(home.resolve("my-token"), "hf_fromPath");
    Map<String, String> env = Map.of("HF_HOME", home.toString());
    assertThat(HubSettings.fromEnvironment(env).token()).isEqualTo("hf_fromLogin");
    assertThat(HubSettings.fromEnvironment(env).cache()).isEqualTo(home.resolve("hub"));
    assertThat(
            HubSettings.fromEnvironment(
                    Map.of("HF_HOME", home.toString(), "HF_TOKEN_PATH", elsewhere.toString()))
                .token())
        .isEqualTo("hf_fromPath");
    assertThat(
            HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env"))
                .token())
        .isEqualTo("hf_env");
    assertThat(
            HubSettings.fromEnvironment(Map.of("HF_HOME", home.resolve("none").toString())).token())
        .isNull();
  }
}
