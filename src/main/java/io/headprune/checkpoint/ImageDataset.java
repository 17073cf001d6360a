package io.headprune.checkpoint;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

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
  public record ImageExample(Path file, byte[] inline, String name, Double label) {}

  private ImageDataset() {}

  /** Reads the examples of {@code jsonl} against the model's labels (null: syntax only). */
  public static List<ImageExample> read(Path jsonl, Labels labels, DatasetReader.Limits limits) {
    return read(jsonl, jsonl.getFileName().toString(), Columns.NONE, labels, limits);
  }

  /**
   * Reads the examples of a data file with its columns mapped: an image is a path beside the file,
   * or (Parquet, as the Hub stores images) a {@code {"bytes": …}} struct or binary value.
   */
  public static List<ImageExample> read(
      Path file, String name, Columns columns, Labels labels, DatasetReader.Limits limits) {
    Path base = file.toAbsolutePath().normalize().getParent();
    List<ImageExample> examples = new ArrayList<>();
    Tables.read(
        file,
        name,
        limits,
        (raw, where) -> {
          ObjectNode row = columns.apply(raw, where);
          JsonNode image = row.get("image");
          if (image != null && image.isObject() && image.path("bytes").isBinary()) {
            image = image.get("bytes");
          }
          Double label = DatasetReader.label(row.get("label"), labels, where);
          if (image != null && image.isBinary()) {
            byte[] bytes = image.binaryValue();
            if (bytes.length > MAX_FILE_BYTES) {
              throw new InvalidInputException(
                  where + ": image is " + bytes.length + " bytes, more than " + MAX_FILE_BYTES);
            }
            examples.add(new ImageExample(null, bytes, where, label));
            return true;
          }
          if (image == null || !image.isString() || image.stringValue().isBlank()) {
            throw new InvalidInputException(
                where
                    + ": \""
                    + columns.source("image")
                    + "\" is missing or neither a path nor image bytes");
          }
          examples.add(
              new ImageExample(
                  resolve(base, image.stringValue(), where), null, image.stringValue(), label));
          return true;
        });
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }

  private static Path resolve(Path base, String reference, String where) {
    Path relative;
    try {
      relative = Path.of(reference);
    } catch (InvalidPathException e) {
      throw new InvalidInputException(
          where + ": image path '" + reference + "' is not a valid path");
    }
    if (relative.isAbsolute() || reference.startsWith("/") || reference.startsWith("\\")) {
      throw new InvalidInputException(
          where
              + ": image path '"
              + reference
              + "' is absolute; give it relative to "
              + "the dataset file");
    }
    Path file = base.resolve(relative).normalize();
    if (!file.startsWith(base)) {
      throw new InvalidInputException(
          where + ": image path '" + reference + "' leaves the dataset's folder");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidInputException(where + ": image '" + reference + "' does not exist");
    }
    return file;
  }

  /** Reads an image example's bytes, bounded by {@code maxBytes}. */
  public static byte[] bytes(ImageExample example, long maxBytes) {
    if (example.inline() != null) {
      return example.inline();
    }
    try {
      long size = Files.size(example.file());
      if (size > maxBytes) {
        throw new InvalidInputException(
            "image " + example.name() + " is " + size + " bytes, more than " + maxBytes);
      }
      return Files.readAllBytes(example.file());
    } catch (IOException e) {
      throw new InvalidInputException("image " + example.name() + " cannot be read");
    }
  }

  /**
   * Decodes every image of {@code jsonl} to check it (an upload without a model); returns the row
   * count.
   */
  public static int validate(Path jsonl, DatasetReader.Limits limits) {
    List<ImageExample> examples = read(jsonl, null, limits);
    for (ImageExample example : distinct(examples)) {
      Deadline.check("decoding image " + example.name());
      ImageFiles.read(bytes(example, MAX_FILE_BYTES), example.name(), ImageProcessor.MAX_PIXELS);
    }
    return examples.size();
  }

  /**
   * The examples whose images differ: one per file, and one per distinct inline image. Rows that
   * name the same image are decoded once (a dataset naming one large PNG in 2,000 rows costs one
   * decoding, not 2,000).
   */
  static List<ImageExample> distinct(List<ImageExample> examples) {
    Set<Object> seen = new HashSet<>();
    List<ImageExample> distinct = new ArrayList<>();
    for (ImageExample example : examples) {
      if (seen.add(source(example))) {
        distinct.add(example);
      }
    }
    return distinct;
  }

  /** What identifies an example's image: its file, or its bytes' content. */
  public static Object source(ImageExample example) {
    return example.file() != null ? example.file() : ByteBuffer.wrap(example.inline());
  }

  /** Largest image file read (256 MiB). */
  public static final long MAX_FILE_BYTES = 256L << 20;
}
