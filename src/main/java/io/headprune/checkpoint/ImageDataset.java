package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Image datasets: JSON Lines of {@code {"image": "<path relative to the JSONL's folder>", "label":
 * <index or name>}} with the PNG or JPEG files beside them. A path that is absolute or leaves the
 * folder, or names no file, is refused with the line that names it.
 */
public final class ImageDataset {

  /**
   * One image example.
   *
   * @param file the image file, inside the dataset's folder
   * @param name the path as the JSONL gives it (for messages)
   * @param label class index, or null when unlabeled
   */
  public record ImageExample(Path file, String name, Double label) {}

  private ImageDataset() {}

  /** True when the first non-blank line of a JSONL file has an {@code "image"} field. */
  public static boolean isImageDataset(Path jsonl) {
    try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          JsonNode row = Json.parse(line.getBytes(StandardCharsets.UTF_8), jsonl.getFileName().toString());
          return row.isObject() && row.has("image");
        }
      }
      return false;
    } catch (IOException | InvalidInputException | java.io.UncheckedIOException e) {
      return false;
    }
  }

  /** Reads the examples of {@code jsonl} against the model's labels (null: syntax only). */
  public static List<ImageExample> read(Path jsonl, Labels labels, DatasetReader.Limits limits) {
    String name = jsonl.getFileName().toString();
    Path base = jsonl.toAbsolutePath().normalize().getParent();
    List<ImageExample> examples = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      int number = 0;
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        number++;
        String where = name + ":" + number;
        if (line.length() > limits.maxLineChars()) {
          throw new InvalidInputException(where + ": line is longer than " + limits.maxLineChars() + " characters");
        }
        if (line.isBlank()) {
          continue;
        }
        JsonNode row = Json.parse(line.getBytes(StandardCharsets.UTF_8), where);
        if (!row.isObject()) {
          throw new InvalidInputException(where + ": line is not a JSON object");
        }
        JsonNode image = row.get("image");
        if (image == null || !image.isString() || image.stringValue().isBlank()) {
          throw new InvalidInputException(where + ": \"image\" is missing or not a path");
        }
        if (examples.size() >= limits.maxRows()) {
          throw new InvalidInputException("dataset " + name + " has more than " + limits.maxRows() + " rows");
        }
        examples.add(new ImageExample(resolve(base, image.stringValue(), where), image.stringValue(),
            DatasetReader.label(row.get("label"), labels, where)));
      }
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
    } catch (IOException e) {
      throw new InvalidInputException("dataset " + name + " cannot be read");
    }
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }

  private static Path resolve(Path base, String reference, String where) {
    Path relative;
    try {
      relative = Path.of(reference);
    } catch (java.nio.file.InvalidPathException e) {
      throw new InvalidInputException(where + ": image path '" + reference + "' is not a valid path");
    }
    if (relative.isAbsolute() || reference.startsWith("/") || reference.startsWith("\\")) {
      throw new InvalidInputException(where + ": image path '" + reference + "' is absolute; give it relative to "
          + "the dataset file");
    }
    Path file = base.resolve(relative).normalize();
    if (!file.startsWith(base)) {
      throw new InvalidInputException(where + ": image path '" + reference + "' leaves the dataset's folder");
    }
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidInputException(where + ": image '" + reference + "' does not exist");
    }
    return file;
  }

  /** Reads an image example's bytes, bounded by {@code maxBytes}. */
  public static byte[] bytes(ImageExample example, long maxBytes) {
    try {
      long size = Files.size(example.file());
      if (size > maxBytes) {
        throw new InvalidInputException("image " + example.name() + " is " + size + " bytes, more than " + maxBytes);
      }
      return Files.readAllBytes(example.file());
    } catch (IOException e) {
      throw new InvalidInputException("image " + example.name() + " cannot be read");
    }
  }

  /** Decodes every image of {@code jsonl} to check it (an upload without a model); returns the row count. */
  public static int validate(Path jsonl, DatasetReader.Limits limits) {
    List<ImageExample> examples = read(jsonl, null, limits);
    for (ImageExample example : examples) {
      ImageFiles.read(bytes(example, MAX_FILE_BYTES), example.name(), ImageProcessor.MAX_PIXELS);
    }
    return examples.size();
  }

  /** Largest image file read (256 MiB). */
  public static final long MAX_FILE_BYTES = 256L << 20;
}
