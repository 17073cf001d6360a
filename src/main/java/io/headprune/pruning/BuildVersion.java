package io.headprune.pruning;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * headprune's version, the same wherever it runs — the jar, {@code spring-boot:run}, the tests —
 * and wherever it is shown: {@code --version}, {@code /actuator/info}, model cards and report.json.
 * The build writes it from the project's version into {@code io/headprune/version.properties}.
 */
public final class BuildVersion {

  private static final String VERSION = read();

  private BuildVersion() {}

  /** The project's version, e.g. {@code 0.1.0}. */
  public static String get() {
    return VERSION;
  }

  private static String read() {
    try (InputStream in =
        BuildVersion.class.getResourceAsStream("/io/headprune/version.properties")) {
      if (in == null) {
        throw new IllegalStateException(
            "io/headprune/version.properties is missing from the build");
      }
      Properties properties = new Properties();
      properties.load(in);
      String version = properties.getProperty("version");
      if (version == null || version.isBlank() || version.startsWith("@")) {
        throw new IllegalStateException("the build did not write headprune's version");
      }
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
