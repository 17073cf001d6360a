package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The zero-shot multiple-choice tasks of the HIES paper's LLaMA-2 table, formatted exactly as
 * lm-evaluation-harness (EleutherAI/lm-evaluation-harness, v0.4) defines them, on the rows of their
 * Hub datasets as they are: the prompt ({@code doc_to_text}), the choices ({@code doc_to_choice}),
 * the right one ({@code doc_to_target}) and the target delimiter (a space). Sources: {@code
 * lm_eval/tasks/hellaswag/{hellaswag.yaml,utils.py}}, {@code piqa/piqa.yaml}, {@code
 * arc/arc_easy.yaml} (arc_challenge includes it), {@code super_glue/boolq/default.yaml}, {@code
 * openbookqa/openbookqa.yaml}, {@code winogrande/{default.yaml,preprocess_winogrande.py}}.
 */
public final class Tasks {

  /** The target delimiter every one of these tasks uses (the harness's default). */
  static final String DELIMITER = " ";

  private static final Map<String, BiFunction<JsonNode, String, ChoiceDataset.TaskItem>> TASKS =
      Map.of(
          "hellaswag", Tasks::hellaswag,
          "piqa", Tasks::piqa,
          "arc_easy", Tasks::arc,
          "arc_challenge", Tasks::arc,
          "boolq", Tasks::boolq,
          "openbookqa", Tasks::openbookqa,
          "winogrande", Tasks::winogrande);

  /** The task names. */
  public static final List<String> NAMES =
      List.of(
          "hellaswag", "piqa", "arc_easy", "arc_challenge", "winogrande", "boolq", "openbookqa");

  private static final Pattern BRACKETS = Pattern.compile("\\[.*?\\]");

  private Tasks() {}

  /** Every row of {@code file} formatted as {@code task}'s items, naming the first bad row. */
  public static List<ChoiceDataset.TaskItem> read(
      Path file, String name, Columns columns, String task, DatasetReader.Limits limits) {
    var format = TASKS.get(task);
    if (format == null) {
      throw new InvalidInputException(
          "task '" + task + "' is not one of " + String.join(", ", NAMES));
    }
    if (!columns.mapping().isEmpty()) {
      throw new InvalidInputException(
          "task " + task + " reads its dataset's own columns: drop \"columns\"");
    }
    List<ChoiceDataset.TaskItem> items = new ArrayList<>();
    Tables.read(
        file,
        name,
        limits,
        (row, where) -> {
          items.add(format.apply(row, where));
          return true;
        });
    if (items.isEmpty()) {
      throw new InvalidInputException("dataset " + name + " is empty: it has no examples");
    }
    return items;
  }

  /** One prompt shared by every choice, each continued by the delimiter and the choice. */
  static ChoiceDataset.TaskItem shared(String prompt, List<String> choices, int label) {
    List<String> continuations = new ArrayList<>();
    for (String choice : choices) {
      continuations.add(DELIMITER + choice);
    }
    return new ChoiceDataset.TaskItem(
        Collections.nCopies(choices.size(), prompt), continuations, choices, label);
  }

  /** hellaswag: utils.process_docs, doc_to_text "{{query}}", doc_to_choice "choices". */
  static ChoiceDataset.TaskItem hellaswag(JsonNode row, String where) {
    String context = text(row, "ctx_a", where) + " " + capitalize(text(row, "ctx_b", where));
    String query = preprocess(text(row, "activity_label", where) + ": " + context);
    List<String> choices = new ArrayList<>();
    for (String ending : strings(row.get("endings"), "endings", where)) {
      choices.add(preprocess(ending));
    }
    return shared(query, choices, index(row.get("label"), choices.size(), "label", where));
  }

  /** hellaswag's utils.preprocess: strip, " [title]" to ". ", brackets removed, double spaces. */
  static String preprocess(String text) {
    String out = text.strip();
    out = out.replace(" [title]", ". ");
    out = BRACKETS.matcher(out).replaceAll("");
    return out.replace("  ", " ");
  }

  /** Python's str.capitalize: the first character upper case, the rest lower case. */
  static String capitalize(String text) {
    if (text.isEmpty()) {
      return text;
    }
    int first = text.offsetByCodePoints(0, 1);
    return text.substring(0, first).toUpperCase(Locale.ROOT)
        + text.substring(first).toLowerCase(Locale.ROOT);
  }

  /** piqa: "Question: {{goal}}\nAnswer:", choices [sol1, sol2], target label. */
  static ChoiceDataset.TaskItem piqa(JsonNode row, String where) {
    String prompt = "Question: " + text(row, "goal", where) + "\nAnswer:";
    List<String> choices = List.of(text(row, "sol1", where), text(row, "sol2", where));
    return shared(prompt, choices, index(row.get("label"), 2, "label", where));
  }

  /**
   * arc_easy / arc_challenge: "Question: {{question}}\nAnswer:", choices.text, target
   * choices.label.index(answerKey).
   */
  static ChoiceDataset.TaskItem arc(JsonNode row, String where) {
    List<String> choices = strings(row.path("choices").get("text"), "choices.text", where);
    List<String> labels = strings(row.path("choices").get("label"), "choices.label", where);
    int label = labels.indexOf(text(row, "answerKey", where));
    if (label < 0) {
      throw new InvalidInputException(
          where + ": answerKey '" + row.path("answerKey").asString() + "' is not in " + labels);
    }
    return shared("Question: " + text(row, "question", where) + "\nAnswer:", choices, label);
  }

  /** boolq: "{{passage}}\nQuestion: {{question}}?\nAnswer:", choices [no, yes], target label. */
  static ChoiceDataset.TaskItem boolq(JsonNode row, String where) {
    JsonNode label = row.get("label");
    int target =
        label != null && label.isBoolean()
            ? (label.booleanValue() ? 1 : 0)
            : index(label, 2, "label", where);
    return shared(
        text(row, "passage", where) + "\nQuestion: " + text(row, "question", where) + "?\nAnswer:",
        List.of("no", "yes"),
        target);
  }

  /** openbookqa: question_stem, choices.text, target choices.label.index(answerKey.lstrip()). */
  static ChoiceDataset.TaskItem openbookqa(JsonNode row, String where) {
    List<String> choices = strings(row.path("choices").get("text"), "choices.text", where);
    List<String> labels = strings(row.path("choices").get("label"), "choices.label", where);
    String key = text(row, "answerKey", where).stripLeading();
    int label = labels.indexOf(key);
    if (label < 0) {
      throw new InvalidInputException(where + ": answerKey '" + key + "' is not in " + labels);
    }
    return shared(text(row, "question_stem", where), choices, label);
  }

  /**
   * winogrande (partial evaluation): each choice is the sentence up to "_" with the option put in,
   * each continued by the delimiter and the rest of the sentence (stripped); target answer "1"/"2".
   */
  static ChoiceDataset.TaskItem winogrande(JsonNode row, String where) {
    String sentence = text(row, "sentence", where);
    int blank = sentence.indexOf('_');
    if (blank < 0) {
      throw new InvalidInputException(where + ": sentence has no \"_\" to fill");
    }
    List<String> contexts =
        List.of(
            sentence.substring(0, blank) + text(row, "option1", where),
            sentence.substring(0, blank) + text(row, "option2", where));
    String target = sentence.substring(blank + 1).strip();
    String answer = text(row, "answer", where);
    if (!answer.equals("1") && !answer.equals("2")) {
      throw new InvalidInputException(
          where + ": answer must be \"1\" or \"2\", got '" + answer + "'");
    }
    return new ChoiceDataset.TaskItem(
        contexts,
        List.of(DELIMITER + target, DELIMITER + target),
        contexts,
        Integer.parseInt(answer) - 1);
  }

  private static String text(JsonNode row, String field, String where) {
    JsonNode value = row.get(field);
    if (value == null || !value.isString()) {
      throw new InvalidInputException(
          where
              + ": \""
              + field
              + "\" is missing or not a string; the columns are "
              + row.propertyNames());
    }
    return value.stringValue();
  }

  private static List<String> strings(JsonNode list, String field, String where) {
    if (list == null || !list.isArray() || list.size() < 2) {
      throw new InvalidInputException(where + ": \"" + field + "\" must be a list of 2 or more");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : list) {
      if (!item.isString()) {
        throw new InvalidInputException(where + ": \"" + field + "\" holds a non-string");
      }
      out.add(item.stringValue());
    }
    return out;
  }

  private static int index(JsonNode label, int choices, String field, String where) {
    long value;
    if (label != null && label.isIntegralNumber()) {
      value = label.longValue();
    } else if (label != null && label.isString() && label.stringValue().matches("[0-9]{1,3}")) {
      value = Long.parseLong(label.stringValue());
    } else {
      throw new InvalidInputException(where + ": \"" + field + "\" is not a choice index");
    }
    if (value < 0 || value >= choices) {
      throw new InvalidInputException(
          where + ": \"" + field + "\" " + value + " is outside [0, " + (choices - 1) + "]");
    }
    return (int) value;
  }
}
