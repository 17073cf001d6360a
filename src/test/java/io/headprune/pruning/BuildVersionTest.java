package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** One version everywhere: the project's, as the build wrote it, whatever runs the code. */
class BuildVersionTest {

  @Test
  void theVersionIsThePomsUnderTestsAsInTheJar() throws Exception {
    // the project's own <version>, the first after its artifactId
    Matcher own =
        Pattern.compile("<artifactId>headprune</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(Files.readString(Path.of("pom.xml")));
    assertThat(own.find()).isTrue();
    assertThat(BuildVersion.get()).isEqualTo(own.group(1)).doesNotContain("@").isNotEqualTo("dev");
    assertThat(Artifacts.versions()).containsEntry("headprune", own.group(1));
  }
}
