package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads calibration and evaluation text datasets from any format {@link Tables} reads: rows with a
 * text, optionally a second text and a label, under their default column names ({@code text},
 * {@code text_pair}, {@code label}) or the ones {@link Columns} maps. Labels may be class indices,
 * names from label2id, or numbers for regression. Input is strict UTF-8 and bounded.
 */
public final class DatasetReader {

  /**
   * Limits on a dataset.
   *
   * @param maxRows most rows
   * @param maxLineChars longest line of JSON Lines, or value of any format, in characters
   * @param maxBytes most bytes read once decompressed
   */
  public record Limits(int maxRows, int maxLineChars, long maxBytes) {

    /** Defaults: 1,000,000 rows of at most 1 MiB characters, 8 GiB decompressed. */
    public static final Limits DEFAULT = new Limits(1_000_000, 1 << 20);

    /** Rows and characters as given, 8 GiB decompressed. */
    public Limits(int maxRows, int maxLineChars) {
      this(maxRows, maxLineChars, 8L << 30);
    }
  }

  private DatasetReader() {}

  /**
   * Reads {@code file} (format from its extension) against the model's labels; with null labels
   * only the syntax is checked and labels are left unresolved.
   */
  public static List<Example> read(Path file, Labels labels) {
    return read(file, labels, Limits.DEFAULT);
  }

  /** Reads {@code file} with explicit limits. */
  public static List<Example> read(Path file, Labels labels, Limits limits) {
    return read(file, file.getFileName().toString(), labels, limits);
  }

  /**
   * Reads {@code file}, naming it {@code name} in messages (its format comes from the name's
   * extension).
   */
  public static List<Example> read(Path file, String name, Labels labels, Limits limits) {
    return read(file, name, Columns.NONE, labels, limits);
  }

  /** Reads {@code file} with its columns mapped to the example's fields. */
  public static List<Example> read(
      Path file, String name, Columns columns, Labels labels, Limits limits) {
    List<Example> examples = new ArrayList<>();
    Tables.read(
        file,
        name,
        limits,
        (raw, where) -> {
          ObjectNode row = columns.apply(raw, where);
          JsonNode text = row.get("text");
          if (text == null || !text.isString()) {
            throw new InvalidInputException(
                where
                    + ": \""
                    + columns.source("text")
                    + "\" is missing or not a string (the text column); the columns are "
                    + Columns.names(raw)
                    + (columns.maps("text") ? "" : "; map yours with \"columns\""));
          }
          JsonNode pair = row.get("text_pair");
          if (pair != null && !pair.isNull() && !pair.isString()) {
            throw new InvalidInputException(
                where + ": \"" + columns.source("textPair") + "\" is not a string");
          }
          String pairText = pair == null || pair.isNull() ? null : pair.stringValue();
          examples.add(
              new Example(text.stringValue(), pairText, label(row.get("label"), labels, where)));
          return true;
        });
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }

  static Double label(JsonNode label, Labels labels, String where) {
    if (label == null || label.isNull() || (label.isString() && label.stringValue().isEmpty())) {
      return null;
    }
    if (labels == null) {
      if (!label.isNumber() && !label.isString()) {
        throw new InvalidInputException(
            where + ": label " + label + " is neither a number nor a label name");
      }
      if (label.isNumber() && !Double.isFinite(label.asDouble())) {
        throw new InvalidInputException(where + ": label " + label + " is not finite");
      }
      return null; // resolved later, against a model's labels
    }
    if (labels.regression()) {
      if (label.isNumber()) {
        return checkFinite(label.doubleValue(), where);
      }
      if (label.isString()) {
        return parseNumber(label.stringValue(), where);
      }
      throw new InvalidInputException(where + ": regression label " + label + " is not a number");
    }
    if (label.isIntegralNumber()) {
      if (!label.canConvertToLong()) {
        throw new InvalidInputException(
            where + ": label " + label + " is outside [0, " + (labels.count() - 1) + "]");
      }
      return (double) labels.checkIndex(label.asLong(), where);
    }
    if (label.isString()) {
      return (double) labels.indexOf(label.stringValue(), where);
    }
    throw new InvalidInputException(
        where + ": label " + label + " is neither a class index nor a label name");
  }

  private static double parseNumber(String text, String where) {
    try {
      return checkFinite(Double.parseDouble(text.trim()), where);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(where + ": regression label '" + text + "' is not a number");
    }
  }

  private static double checkFinite(double value, String where) {
    if (!Double.isFinite(value)) {
      throw new InvalidInputException(where + ": label " + value + " is not finite");
    }
    return value;
  }
}
