package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Multiple-choice evaluation data for causal language models: JSON Lines of {@code {"context": "…",
 * "choices": ["…", …], "label": i}}. A choice is scored by the summed log-probability of its tokens
 * after the context.
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

  /** True when the first line of a JSONL file has a {@code "choices"} field. */
  public static boolean isChoiceDataset(Path jsonl) {
    return JsonLines.firstRowHas(jsonl, "choices");
  }

  /** Reads every item of {@code jsonl}, naming the line of the first bad one. */
  public static List<ChoiceExample> read(Path jsonl, String name, DatasetReader.Limits limits) {
    List<ChoiceExample> examples = new ArrayList<>();
    JsonLines.read(
        jsonl,
        name,
        limits.maxLineChars(),
        (row, where) -> {
          if (!row.path("context").isString()) {
            throw new InvalidInputException(where + ": \"context\" is missing or not a string");
          }
          JsonNode choices = row.get("choices");
          if (choices == null
              || !choices.isArray()
              || choices.size() < 2
              || choices.size() > MAX_CHOICES) {
            throw new InvalidInputException(
                where + ": \"choices\" must be a list of 2 to " + MAX_CHOICES + " strings");
          }
          List<String> texts = new ArrayList<>();
          for (JsonNode choice : choices) {
            if (!choice.isString() || choice.stringValue().isEmpty()) {
              throw new InvalidInputException(where + ": every choice must be a non-empty string");
            }
            texts.add(choice.stringValue());
          }
          JsonNode label = row.get("label");
          if (label == null
              || !label.isIntegralNumber()
              || label.asLong() < 0
              || label.asLong() >= texts.size()) {
            throw new InvalidInputException(
                where
                    + ": \"label\" must be the index of the right choice, in [0, "
                    + (texts.size() - 1)
                    + "]");
          }
          if (examples.size() >= limits.maxRows()) {
            throw new InvalidInputException(
                "dataset " + name + " has more than " + limits.maxRows() + " rows");
          }
          examples.add(new ChoiceExample(row.get("context").stringValue(), texts, label.asInt()));
        });
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }
}
