package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Hugging Face model directory opened for reading: its config and its weights, from one {@code
 * model.safetensors} or from shards listed in {@code model.safetensors.index.json}.
 */
public final class Checkpoint implements AutoCloseable {

  /** Name of a single-file checkpoint's weights. */
  public static final String WEIGHTS = "model.safetensors";

  /** Name of a sharded checkpoint's index. */
  public static final String INDEX = "model.safetensors.index.json";

  private final Path directory;
  private final ModelConfig config;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileOf;

  private final boolean dataless;

  private Checkpoint(Path directory, ModelConfig config, List<SafetensorsFile> files) {
    this(directory, config, files, false);
  }

  private Checkpoint(
      Path directory, ModelConfig config, List<SafetensorsFile> files, boolean dataless) {
    this.dataless = dataless;
    this.directory = directory;
    this.config = config;
    this.files = files;
    Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
    for (SafetensorsFile file : files) {
      for (String name : file.tensors().keySet()) {
        if (owners.put(name, file) != null) {
          throw new InvalidInputException("tensor '" + name + "' appears in more than one shard");
        }
      }
    }
    this.fileOf = owners;
  }

  /** Turns a config.json object into a {@link ModelConfig}: the architecture descriptions do. */
  @FunctionalInterface
  public interface ConfigParser {

    /** Reads the family's keys of {@code raw}, refusing what it does not implement. */
    ModelConfig parse(ObjectNode raw);
  }

  /**
   * Opens {@code directory}, validating config.json through {@code parser} and every safetensors
   * header.
   */
  public static Checkpoint open(Path directory, ConfigParser parser) {
    if (!Files.isDirectory(directory)) {
      throw new InvalidInputException("model directory " + directory + " does not exist");
    }
    ModelConfig config = parser.parse(ConfigValues.read(directory));
    List<SafetensorsFile> files = new ArrayList<>();
    try {
      for (Path shard : shards(directory)) {
        files.add(SafetensorsFile.open(shard));
      }
      return new Checkpoint(directory, config, files);
    } catch (RuntimeException e) {
      files.forEach(SafetensorsFile::close);
      throw e;
    }
  }

  /** The weight files of {@code directory}: the single file, or the shards its index names. */
  public static List<Path> shards(Path directory) {
    Path single = directory.resolve(WEIGHTS);
    if (Files.isRegularFile(single)) {
      return List.of(single);
    }
    Path index = directory.resolve(INDEX);
    if (!Files.isRegularFile(index)) {
      throw new InvalidInputException(
          "model directory has no "
              + WEIGHTS
              + " and no "
              + INDEX
              + " (found: "
              + listing(directory)
              + ")");
    }
    Set<String> names = new LinkedHashSet<>();
    try {
      JsonNode map = Json.parse(Files.readAllBytes(index), INDEX).path("weight_map");
      if (!map.isObject()) {
        throw new InvalidInputException(INDEX + " has no weight_map object");
      }
      for (Map.Entry<String, JsonNode> entry : map.properties()) {
        names.add(entry.getValue().asString(""));
      }
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot read " + INDEX + ": " + InvalidInputException.plain(e.getMessage()));
    }
    List<Path> shards = new ArrayList<>();
    for (String name : names) {
      if (!name.matches("[A-Za-z0-9._-]+\\.safetensors")) {
        throw new InvalidInputException(INDEX + " names an invalid shard file '" + name + "'");
      }
      Path shard = directory.resolve(name);
      if (!Files.isRegularFile(shard)) {
        throw new InvalidInputException(INDEX + " names shard '" + name + "', which is missing");
      }
      shards.add(shard);
    }
    return shards;
  }

  private static String listing(Path directory) {
    try (var stream = Files.list(directory)) {
      return String.join(", ", stream.map(p -> p.getFileName().toString()).sorted().toList());
    } catch (IOException e) {
      return "unreadable";
    }
  }

  /**
   * The same checkpoint for checking only: loaders validate every name, shape and dtype and count
   * parameters, but read no tensor data (an upload of a 7 B model is checked without 28 GB of
   * float32). Shares this checkpoint's files; close this one, not the view.
   */
  public Checkpoint dataless() {
    return new Checkpoint(directory, config, files, true);
  }

  /** True for a {@link #dataless()} view: loaders must not read tensor data. */
  public boolean isDataless() {
    return dataless;
  }

  /** The model directory. */
  public Path directory() {
    return directory;
  }

  /** The parsed config.json. */
  public ModelConfig config() {
    return config;
  }

  /** Every tensor of every shard, by name. */
  public Map<String, TensorInfo> tensors() {
    Map<String, TensorInfo> all = new LinkedHashMap<>();
    files.forEach(file -> all.putAll(file.tensors()));
    return Collections.unmodifiableMap(all);
  }

  /** The shard that holds {@code name}, or null. */
  public SafetensorsFile fileOf(String name) {
    return fileOf.get(name);
  }

  /** The opened weight files, in order. */
  public List<SafetensorsFile> files() {
    return Collections.unmodifiableList(files);
  }

  /** One tensor's raw bytes (memory-mapped, little-endian). */
  public ByteBuffer bytes(String name) {
    SafetensorsFile file = fileOf.get(name);
    if (file == null) {
      throw new InvalidInputException("checkpoint has no tensor '" + name + "'");
    }
    return file.bytes(name);
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
