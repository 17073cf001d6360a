package io.headprune.support;

import io.headprune.checkpoint.Json;
import io.headprune.storage.Archives;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds model archives for upload tests. */
public final class Archive {

  private Archive() {}

  /**
   * An image dataset as {@code target} (.zip): {@code jsonl} of {@code dir} and every image it
   * names, under their relative paths.
   */
  public static Path imageDatasetZip(Path dir, String jsonl, Path target) {
    try (var zip = new ZipOutputStream(Files.newOutputStream(target))) {
      zip.putNextEntry(new ZipEntry(jsonl));
      zip.write(Files.readAllBytes(dir.resolve(jsonl)));
      for (String line : Files.readAllLines(dir.resolve(jsonl))) {
        if (line.isBlank()) {
          continue;
        }
        String image = Json.MAPPER.readTree(line).get("image").asString();
        zip.putNextEntry(new ZipEntry(image));
        zip.write(Files.readAllBytes(dir.resolve(image)));
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The model files of {@code modelDir} (no datasets) as {@code target} (.tar.gz). */
  public static Path tarGz(Path modelDir, Path target) {
    try {
      Path staging = Files.createTempDirectory("model");
      for (String name :
          new String[] {
            "config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "vocab.txt",
            "preprocessor_config.json",
            "merges.txt"
          }) {
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
