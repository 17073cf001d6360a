package io.headprune.hostile;

import io.headprune.checkpoint.Json;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hostile model directories, generated: the tiny BERT fixture with its safetensors header or its
 * config.json mutated (wrong dtypes, shapes, offsets, lengths, truncations, garbage, deep JSON,
 * absurd sizes). The same generators feed the reader's table-driven unit test ({@code
 * ModelValidationTest}, every case) and the HTTP test ({@link HostileInputTest}, a few of each kind
 * through the whole upload).
 */
public final class ModelMutations {

  /** One hostile model: the kind of mutation (and its variant), and the model's files. */
  public record Mutation(String kind, Map<String, byte[]> files) {}

  private ModelMutations() {}

  /** The tiny BERT fixture's files, unmutated. */
  public static Map<String, byte[]> tinyBert() {
    return files(Fixtures.tinyBert(), Fixtures.TINY_BERT_FILES);
  }

  /** The files {@code names} of the model directory {@code dir}, by name. */
  public static Map<String, byte[]> files(Path dir, List<String> names) {
    Map<String, byte[]> model = new LinkedHashMap<>();
    for (String name : names) {
      try {
        model.put(name, Files.readAllBytes(dir.resolve(name)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return model;
  }

  public static List<Mutation> safetensors(Random random, Map<String, byte[]> model, int count) {
    byte[] original = model.get("model.safetensors");
    long headerLength = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String headerText = new String(original, 8, (int) headerLength, StandardCharsets.UTF_8);
    byte[] data = Arrays.copyOfRange(original, 8 + (int) headerLength, original.length);
    List<String> names = new ArrayList<>();
    Json.MAPPER
        .readTree(headerText)
        .properties()
        .forEach(
            e -> {
              if (!e.getKey().equals("__metadata__")) {
                names.add(e.getKey());
              }
            });
    List<Mutation> cases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ObjectNode header = (ObjectNode) Json.MAPPER.readTree(headerText);
      String name = names.get(random.nextInt(names.size()));
      ObjectNode tensor = (ObjectNode) header.get(name);
      byte[] file;
      int kind = i % 12;
      switch (kind) {
        case 0 ->
            tensor.put(
                "dtype", List.of("F8", "X", "", "f32", "Q4_K", "F128").get(random.nextInt(6)));
        case 1 -> {
          ArrayNode shape = (ArrayNode) tensor.get("shape");
          int d = shape.isEmpty() ? -1 : random.nextInt(shape.size());
          if (d < 0 || random.nextBoolean()) {
            shape.add(1 + random.nextInt(7));
            shape.add(2);
          } else {
            shape.set(d, shape.get(d).asLong() + 1 + random.nextInt(5));
          }
        }
        case 2 -> {
          ArrayNode offsets = (ArrayNode) tensor.get("data_offsets");
          long begin = offsets.get(0).asLong();
          long end = offsets.get(1).asLong();
          switch (random.nextInt(4)) {
            case 0 ->
                offsets.set(0, Math.max(0, begin - 4 - random.nextInt(64))).set(1, end - 4 - 0);
            case 1 ->
                offsets
                    .set(1, end + 1 + random.nextInt(1 << 20))
                    .set(0, begin + 1 + random.nextInt(4));
            case 2 -> offsets.set(0, -1 - random.nextInt(100));
            default -> offsets.set(0, end).set(1, begin);
          }
        }
        case 3 -> header.remove(name);
        case 4 -> header.set(name + ".renamed" + random.nextInt(100), header.remove(name));
        case 5 -> tensor.put("dtype", random.nextBoolean() ? "F16" : "I8");
        case 6 -> header.putObject("__metadata__").put("format", random.nextInt());
        case 7 -> {
          ObjectNode nest = header.putObject("__metadata__");
          for (int depth = 0; depth < 70 + random.nextInt(200); depth++) {
            nest = nest.putObject("x");
          }
        }
        default -> {}
      }
      byte[] json = Payloads.utf8(header.toString());
      switch (kind) {
        case 8 ->
            file =
                Payloads.safetensors(
                    header.toString(),
                    data,
                    List.of(
                            0L,
                            1L,
                            Long.MAX_VALUE,
                            -1L,
                            (long) json.length + 1 + random.nextInt(1 << 24))
                        .get(random.nextInt(5)));
        case 9 -> {
          byte[] whole = Payloads.safetensors(header.toString(), data, json.length);
          file = Arrays.copyOf(whole, random.nextInt(whole.length - 1));
        }
        case 10 -> {
          byte[] garbage = new byte[1 + random.nextInt(4096)];
          random.nextBytes(garbage);
          byte[] whole = Payloads.safetensors(header.toString(), data, json.length);
          file = Arrays.copyOf(whole, whole.length + garbage.length);
          System.arraycopy(garbage, 0, file, whole.length, garbage.length);
        }
        case 11 -> {
          byte[] junk = new byte[8 + random.nextInt(512)];
          random.nextBytes(junk);
          String text =
              List.of(
                      "[]",
                      "\"x\"",
                      "1",
                      "{",
                      "null",
                      new String(junk, StandardCharsets.ISO_8859_1))
                  .get(random.nextInt(6));
          file = Payloads.safetensors(text, data, Payloads.utf8(text).length);
        }
        default -> file = Payloads.safetensors(header.toString(), data, json.length);
      }
      cases.add(
          new Mutation(
              "safetensors#" + kind, Payloads.model(model, Map.of("model.safetensors", file))));
    }
    return cases;
  }

  // ---- config.json ---------------------------------------------------------------------

  public static List<Mutation> config(Random random, Map<String, byte[]> model, int count) {
    List<Mutation> cases = new ArrayList<>();
    String original = new String(model.get("config.json"), StandardCharsets.UTF_8);
    for (int i = 0; i < count; i++) {
      ObjectNode config = (ObjectNode) Json.MAPPER.readTree(original);
      byte[] bytes = null;
      switch (i % 16) {
        case 0 ->
            config.put(
                "hidden_size", List.of(0L, -1L, 1_000_000_000L, 63L, 128L).get(random.nextInt(5)));
        case 1 ->
            config.put(
                "num_hidden_layers", List.of(0L, -3L, 1_000_000L, 5L).get(random.nextInt(4)));
        case 2 ->
            config.put(
                "num_attention_heads", List.of(0L, 5L, 7L, 3L, 1_000_000L).get(random.nextInt(5)));
        case 3 ->
            config.put("vocab_size", List.of(0L, 70L, 10_000_000_000L).get(random.nextInt(3)));
        case 4 -> config.put("intermediate_size", 129 + random.nextInt(1000));
        case 5 ->
            config.put("model_type", List.of("gpt2", "", "llama", "bert2").get(random.nextInt(4)));
        case 6 ->
            config
                .putArray("architectures")
                .add(List.of("BertForMaskedLM", "Foo", "").get(random.nextInt(3)));
        case 7 ->
            config
                .putObject("pruned_heads")
                .putArray(List.of("0", "9", "x").get(random.nextInt(3)))
                .add(0)
                .add(1)
                .add(2)
                .add(3)
                .add(4 + random.nextInt(4));
        case 8 ->
            config.put("hidden_act", List.of("relu", "gelu_new", "silu").get(random.nextInt(3)));
        case 9 -> config.put("position_embedding_type", "relative_key");
        case 10 -> config.put("max_position_embeddings", 65 + random.nextInt(100));
        case 11 -> config.putObject("id2label").put("0", "a").put("1", "b").put("2", "c");
        case 12 -> config.put("hidden_size", "64");
        case 13 -> {
          StringBuilder deep = new StringBuilder("{\"model_type\":\"bert\",\"x\":");
          int depth = 100 + random.nextInt(5000);
          deep.append("[".repeat(depth)).append("]".repeat(depth)).append('}');
          bytes = Payloads.utf8(deep.toString());
        }
        case 14 ->
            bytes = Payloads.utf8(original.substring(0, random.nextInt(original.length() - 1)));
        default -> {
          bytes = new byte[1 + random.nextInt(200)];
          random.nextBytes(bytes);
        }
      }
      byte[] file = bytes != null ? bytes : Payloads.utf8(config.toString());
      cases.add(
          new Mutation("config#" + (i % 16), Payloads.model(model, Map.of("config.json", file))));
    }
    return cases;
  }
}
