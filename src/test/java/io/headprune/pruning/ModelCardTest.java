package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source card's license is copied when its YAML header names one. */
class ModelCardTest {

  @TempDir Path dir;

  @Test
  void theLicenseComesFromTheSourceCardsHeaderOnly() throws IOException {
    assertThat(ModelCard.license(dir)).isNull();
    Files.writeString(
        dir.resolve("README.md"), "---\nlanguage: en\nlicense: apache-2.0\n---\n# A model\n");
    assertThat(ModelCard.license(dir)).isEqualTo("apache-2.0");
    Files.writeString(dir.resolve("README.md"), "# A model\nlicense: mit\n");
    assertThat(ModelCard.license(dir)).as("not in a header").isNull();
    Files.writeString(dir.resolve("README.md"), "---\nlicense: \"cc-by-4.0\"\n---\n");
    assertThat(ModelCard.license(dir)).isEqualTo("cc-by-4.0");
    Files.writeString(
        dir.resolve("README.md"), "---\nlicense: a license with spaces: and colons\n---\n");
    assertThat(ModelCard.license(dir)).as("not a license identifier").isNull();
  }
}
