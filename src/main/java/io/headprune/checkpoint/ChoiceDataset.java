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
 * Multiple-choice evaluation data for causal language models: JSON Lines of {@code {"context":
 * "…", "choices": ["…", …], "label": i}}. A choice is scored by the summed log-probability of its
 * tokens after the context.
 */
public final class ChoiceDataset {

  /**
   * One item.
   *
   * @param context the text the choices continue
   * @param choices the candidate continuations (at least two)
   * @param label index of the right choice
   */
  public record ChoiceExample(String context, List<String> choices, int label) {

    public ChoiceExample {
      choices = List.copyOf(choices);
    }
  }

  /** Most choices an item may have. */
  static final int MAX_CHOICES = 64;

  private ChoiceDataset() {}

  /** True when the first non-blank line of a JSONL file has a {@code "choices"} field. */
  public static boolean isChoiceDataset(Path jsonl) {
    return firstLineHas(jsonl, "choices");
  }

  static boolean firstLineHas(Path jsonl, String field) {
    if (!jsonl.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl")) {
      return false;
    }
    try (BufferedReader reader = Files.newBufferedReader(jsonl, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          JsonNode row = Json.parse(line.getBytes(StandardCharsets.UTF_8), jsonl.getFileName().toString());
          return row.isObject() && row.has(field);
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Reads every item of {@code jsonl}, naming the line of the first bad one. */
  public static List<ChoiceExample> read(Path jsonl, String name, DatasetReader.Limits limits) {
    List<ChoiceExample> examples = new ArrayList<>();
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
        if (!row.isObject() || !row.path("context").isString()) {
          throw new InvalidInputException(where + ": \"context\" is missing or not a string");
        }
        JsonNode choices = row.get("choices");
        if (choices == null || !choices.isArray() || choices.size() < 2 || choices.size() > MAX_CHOICES) {
          throw new InvalidInputException(where + ": \"choices\" must be a list of 2 to " + MAX_CHOICES + " strings");
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode choice : choices) {
          if (!choice.isString() || choice.stringValue().isEmpty()) {
            throw new InvalidInputException(where + ": every choice must be a non-empty string");
          }
          texts.add(choice.stringValue());
        }
        JsonNode label = row.get("label");
        if (label == null || !label.isIntegralNumber() || label.asLong() < 0 || label.asLong() >= texts.size()) {
          throw new InvalidInputException(where + ": \"label\" must be the index of the right choice, in [0, "
              + (texts.size() - 1) + "]");
        }
        if (examples.size() >= limits.maxRows()) {
          throw new InvalidInputException("dataset " + name + " has more than " + limits.maxRows() + " rows");
        }
        examples.add(new ChoiceExample(row.get("context").stringValue(), texts, label.asInt()));
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
}
