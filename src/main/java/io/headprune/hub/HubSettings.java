package io.headprune.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Where the Hub is and how to talk to it, read from the same environment variables huggingface_hub
 * reads.
 *
 * @param endpoint {@code HF_ENDPOINT} (default https://huggingface.co); the only host contacted
 *     besides the hosts it redirects downloads to
 * @param token {@code HF_TOKEN}, else the file {@code hf auth login} writes ({@code HF_TOKEN_PATH},
 *     else {@code HF_HOME/token}, else ~/.cache/huggingface/token), as huggingface_hub reads it;
 *     sent as a bearer token to the endpoint only (or null)
 * @param cache {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else ~/.cache/huggingface/hub
 * @param offline {@code HF_HUB_OFFLINE=1}: the cache only
 * @param timeout connect and per-read timeout
 * @param attempts tries per file before giving up (a broken download resumes with Range)
 */
public record HubSettings(
    URI endpoint, String token, Path cache, boolean offline, Duration timeout, int attempts) {

  public HubSettings {
    String text = endpoint.toString();
    if (text.endsWith("/")) {
      endpoint = URI.create(text.substring(0, text.length() - 1));
    }
    if (token != null && token.isBlank()) {
      token = null;
    }
  }

  /**
   * {@code HF_TOKEN}, else the first line of the token file ({@code HF_TOKEN_PATH}, else {@code
   * HF_HOME/token}, else ~/.cache/huggingface/token) when it exists; null otherwise.
   */
  static String token(Map<String, String> env) {
    String token = env.get("HF_TOKEN");
    if (token != null && !token.isBlank()) {
      return token.strip();
    }
    Path file =
        env.containsKey("HF_TOKEN_PATH")
            ? Path.of(env.get("HF_TOKEN_PATH"))
            : env.containsKey("HF_HOME")
                ? Path.of(env.get("HF_HOME"), "token")
                : Path.of(System.getProperty("user.home"), ".cache", "huggingface", "token");
    try {
      if (Files.isRegularFile(file)) {
        String text = Files.readString(file).strip();
        return text.isEmpty() ? null : text.lines().findFirst().orElse(null);
      }
    } catch (IOException | RuntimeException e) {
      // unreadable: as if there were none (huggingface_hub does the same)
    }
    return null;
  }

  /** Settings from environment variables. */
  public static HubSettings fromEnvironment(Map<String, String> env) {
    URI endpoint = URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co"));
    Path cache;
    if (env.containsKey("HF_HUB_CACHE")) {
      cache = Path.of(env.get("HF_HUB_CACHE"));
    } else if (env.containsKey("HF_HOME")) {
      cache = Path.of(env.get("HF_HOME"), "hub");
    } else {
      cache = Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }
    String offline = env.getOrDefault("HF_HUB_OFFLINE", "0").trim().toLowerCase(Locale.ROOT);
    return new HubSettings(
        endpoint,
        token(env),
        cache,
        offline.equals("1")
            || offline.equals("true")
            || offline.equals("yes")
            || offline.equals("on"),
        Duration.ofSeconds(30),
        5);
  }
}
