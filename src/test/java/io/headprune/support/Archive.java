package io.headprune.support;

import io.headprune.storage.Archives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds model archives for upload tests. */
public final class Archive {

  private Archive() {}

  /** The model files of {@code modelDir} (no datasets) as {@code target} (.tar.gz). */
  public static Path tarGz(Path modelDir, Path target) {
    try {
      Path staging = Files.createTempDirectory("model");
      for (String name : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
          "special_tokens_map.json", "vocab.txt"}) {
        if (Files.exists(modelDir.resolve(name))) {
          Files.copy(modelDir.resolve(name), staging.resolve(name));
        }
      }
      Archives.tarGz(staging, "model", target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
