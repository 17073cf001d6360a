package io.headprune.support;

import io.headprune.checkpoint.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Test fixtures under src/test/resources: models, datasets and golden files. */
public final class Fixtures {

  /** The grouped-query decoder fixtures of the Llama lineage, older and newer families. */
  public static List<String> groupedDecoders() {
    return List.of(
        "tiny-llama-gqa",
        "tiny-qwen2",
        "tiny-llama3-rope",
        "tiny-llama-rope-linear",
        "tiny-llama-rope-dynamic",
        "tiny-qwen2-yarn",
        "tiny-mistral-swa",
        "tiny-qwen2-swa",
        "tiny-qwen3",
        "tiny-phi3",
        "tiny-gemma2");
  }

  /** Every decoder fixture: GPT-2's two, then {@link #groupedDecoders}. */
  public static List<String> decoders() {
    List<String> all = new ArrayList<>(List.of("tiny-gpt2", "tiny-gpt2-cls"));
    all.addAll(groupedDecoders());
    return all;
  }

  private Fixtures() {}

  /** A resource directory or file, by path under the test resources. */
  public static Path resource(String path) {
    try {
      return Path.of(Fixtures.class.getClassLoader().getResource(path).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource " + path, e);
    }
  }

  /** The files of the tiny BERT fixture's model directory (what its archive and Hub repo hold). */
  public static final List<String> TINY_BERT_FILES =
      List.of(
          "config.json",
          "model.safetensors",
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "vocab.txt");

  /** The tiny BERT fixture (4 layers x 4 heads, "cat before dog"). */
  public static Path tinyBert() {
    return resource("fixtures/tiny-bert-order");
  }

  /** The tiny BERT fixture after physical pruning (layers keep 1, 1, 3, 3 heads). */
  public static Path tinyBertPruned() {
    return resource("fixtures/tiny-bert-order-pruned");
  }

  /** A JSON resource. */
  public static JsonNode json(String path) {
    try {
      return Json.MAPPER.readTree(Files.readAllBytes(resource(path)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON file anywhere. */
  public static JsonNode jsonFile(Path file) {
    try {
      return Json.MAPPER.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies a directory tree (for tests that modify a fixture). */
  public static Path copy(Path source, Path target) {
    try (var files = Files.walk(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path to = target.resolve(source.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(to);
        } else {
          Files.copy(file, to);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
