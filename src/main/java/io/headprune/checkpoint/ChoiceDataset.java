package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

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

  /**
   * One item of an lm-evaluation-harness task: choice c is scored as the log-likelihood of {@code
   * continuations[c]} after {@code contexts[c]}, the pair encoded as the harness encodes it.
   *
   * @param contexts the context of each choice (one shared context, or one per choice as in
   *     Winogrande's partial evaluation)
   * @param continuations each choice's continuation, its target delimiter included
   * @param choices the task's choice strings, whose lengths {@code acc_norm} divides by
   * @param label index of the right choice
   */
  public record TaskItem(
      List<String> contexts, List<String> continuations, List<String> choices, int label) {

    public TaskItem {
      contexts = List.copyOf(contexts);
      continuations = List.copyOf(continuations);
      choices = List.copyOf(choices);
      if (contexts.size() != continuations.size() || choices.size() != contexts.size()) {
        throw new IllegalArgumentException("one context and continuation per choice");
      }
    }
  }

  /** Most choices an item may have. */
  static final int MAX_CHOICES = 64;

  private ChoiceDataset() {}

  /** True when the first row of a data file has a {@code "choices"} column. */
  public static boolean isChoiceDataset(Path file) {
    return isChoiceDataset(file, file.getFileName().toString(), Columns.NONE);
  }

  /**
   * True when {@code columns} maps the choices, or the first row of the file has a {@code
   * "choices"} column (false for anything unreadable: the text reader names the problem).
   */
  public static boolean isChoiceDataset(Path file, String name, Columns columns) {
    if (columns.maps("choices")) {
      return true;
    }
    try {
      ObjectNode first = Tables.firstRow(file, name, DatasetReader.Limits.DEFAULT);
      return first != null && first.has(columns.source("choices"));
    } catch (RuntimeException unreadable) {
      return false;
    }
  }

  /** Reads every item of {@code file}, naming the row of the first bad one. */
  public static List<ChoiceExample> read(Path file, String name, DatasetReader.Limits limits) {
    return read(file, name, Columns.NONE, limits);
  }

  /** Reads every item of {@code file} with its columns mapped. */
  public static List<ChoiceExample> read(
      Path file, String name, Columns columns, DatasetReader.Limits limits) {
    List<ChoiceExample> examples = new ArrayList<>();
    Tables.read(
        file,
        name,
        limits,
        (raw, where) -> {
          ObjectNode row = columns.apply(raw, where);
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
          if (label != null && label.isString() && label.stringValue().matches("[0-9]{1,2}")) {
            label =
                JsonNodeFactory.instance.numberNode(
                    Integer.parseInt(label.stringValue())); // as HellaSwag stores it: "0".."3"
          }
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
          examples.add(new ChoiceExample(row.get("context").stringValue(), texts, label.asInt()));
          return true;
        });
    if (examples.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return examples;
  }
}
