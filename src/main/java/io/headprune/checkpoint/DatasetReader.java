package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import tools.jackson.databind.JsonNode;

/**
 * Reads calibration and evaluation datasets: JSON Lines ({@code {"text", "text_pair"?, "label"?}}),
 * or CSV/TSV with a header naming the same columns. Labels may be class indices, names from
 * label2id, or numbers for regression. Input is strict UTF-8 and bounded.
 */
public final class DatasetReader {

  /** Limits on a dataset file. */
  public record Limits(int maxRows, int maxLineChars) {

    /** Defaults: 1,000,000 rows of at most 1 MiB characters. */
    public static final Limits DEFAULT = new Limits(1_000_000, 1 << 20);
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
    String lower = name.toLowerCase(Locale.ROOT);
    List<Example> examples;
    try (InputStream in = Files.newInputStream(file)) {
      Reader reader =
          new InputStreamReader(
              in,
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT));
      if (lower.endsWith(".csv")) {
        examples = delimited(reader, CSVFormat.DEFAULT, name, labels, limits);
      } else if (lower.endsWith(".tsv")) {
        examples = delimited(reader, CSVFormat.TDF, name, labels, limits);
      } else {
        examples = jsonLines(new BufferedReader(reader), name, labels, limits);
      }
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
    } catch (IOException e) {
      throw new InvalidInputException("dataset " + name + " cannot be read: " + e.getMessage());
    }
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }

  private static List<Example> jsonLines(
      BufferedReader reader, String name, Labels labels, Limits limits) throws IOException {
    List<Example> examples = new ArrayList<>();
    JsonLines.read(
        reader,
        name,
        limits.maxLineChars(),
        (row, where) -> {
          JsonNode text = row.get("text");
          if (text == null || !text.isString()) {
            throw new InvalidInputException(where + ": \"text\" is missing or not a string");
          }
          JsonNode pair = row.get("text_pair");
          if (pair != null && !pair.isNull() && !pair.isString()) {
            throw new InvalidInputException(where + ": \"text_pair\" is not a string");
          }
          String pairText = pair == null || pair.isNull() ? null : pair.stringValue();
          add(
              examples,
              new Example(text.stringValue(), pairText, label(row.get("label"), labels, where)),
              limits,
              name);
        });
    return examples;
  }

  static Double label(JsonNode label, Labels labels, String where) {
    if (label == null || label.isNull()) {
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

  private static List<Example> delimited(
      Reader reader, CSVFormat base, String name, Labels labels, Limits limits) throws IOException {
    CSVFormat format = base.builder().setHeader().setSkipHeaderRecord(true).setTrim(false).get();
    List<Example> examples = new ArrayList<>();
    try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
      Map<String, Integer> header = parser.getHeaderMap();
      if (header == null || !header.containsKey("text")) {
        throw new InvalidInputException(name + ": header row has no \"text\" column");
      }
      for (CSVRecord record : parser) {
        String where = name + ":" + (record.getRecordNumber() + 1);
        String text = value(record, "text", header);
        if (text == null) {
          throw new InvalidInputException(where + ": \"text\" is missing");
        }
        if (text.length() > limits.maxLineChars()) {
          throw new InvalidInputException(
              where + ": text is longer than " + limits.maxLineChars() + " characters");
        }
        String labelText = value(record, "label", header);
        Double label = null;
        if (labelText != null && !labelText.isEmpty() && labels != null) {
          label =
              labels.regression()
                  ? parseNumber(labelText, where)
                  : (double) labels.indexOf(labelText, where);
        }
        add(examples, new Example(text, value(record, "text_pair", header), label), limits, name);
      }
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      if (e.getCause() instanceof CharacterCodingException) {
        throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
      }
      throw new InvalidInputException(
          name + ": malformed " + (base == CSVFormat.TDF ? "TSV" : "CSV") + ": " + e.getMessage());
    }
    return examples;
  }

  private static String value(CSVRecord record, String column, Map<String, Integer> header) {
    Integer index = header.get(column);
    return index == null || index >= record.size() ? null : record.get(index);
  }

  private static void add(List<Example> examples, Example example, Limits limits, String name) {
    if (examples.size() >= limits.maxRows()) {
      throw new InvalidInputException(
          "dataset " + name + " has more than " + limits.maxRows() + " rows");
    }
    examples.add(example);
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
