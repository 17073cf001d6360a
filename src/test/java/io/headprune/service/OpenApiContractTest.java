package io.headprune.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.support.ServiceTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** openapi.yaml at the top of the project is exactly what the running app serves. */
class OpenApiContractTest extends ServiceTest {

  @Test
  void servedDocumentEqualsTheCommittedOpenapiYaml() throws IOException {
    // the YAML is UTF-8 whatever charset the response names (read as Latin-1, "…" would become
    // mojibake)
    String served =
        new String(
            http.get().uri("/v3/api-docs.yaml").retrieve().body(byte[].class),
            StandardCharsets.UTF_8);
    Path committed = Path.of("openapi.yaml");
    Path fresh = Path.of("target", "openapi.yaml");
    Files.createDirectories(fresh.getParent());
    Files.writeString(fresh, served);
    assertThat(committed).exists();
    assertThat(Files.readString(committed).strip())
        .as(
            "openapi.yaml differs from what the app serves; the served version is in target/openapi.yaml")
        .isEqualTo(served.strip());
  }
}
