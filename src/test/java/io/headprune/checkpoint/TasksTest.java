package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The lm-evaluation-harness templates on rows written as the Hub datasets hold them; the expected
 * prompts were worked out by hand from the task YAMLs (and hellaswag's utils.py).
 */
class TasksTest {

  private static JsonNode row(String json) {
    return Json.parse(json.getBytes(StandardCharsets.UTF_8), "row");
  }

  @Test
  void hellaswagJoinsCapitalisesAndCleansAsItsUtilsDo() {
    ChoiceDataset.TaskItem item =
        Tasks.hellaswag(
            row(
                """
                {"activity_label": "Baking cookies", "ctx_a": "A woman pours flour [header] into a bowl.",
                 "ctx_b": "then SHE", "endings": [" stirs it [title] Gently. ", "bakes it  twice"],
                 "label": "1"}"""),
            "r:1");
    String query = "Baking cookies: A woman pours flour into a bowl. Then she";
    assertThat(item.contexts()).containsExactly(query, query);
    assertThat(item.choices()).containsExactly("stirs it. Gently.", "bakes it twice");
    assertThat(item.continuations()).containsExactly(" stirs it. Gently.", " bakes it twice");
    assertThat(item.label()).isEqualTo(1);
  }

  @Test
  void piqaArcBoolqAndOpenbookqaUseTheirPrompts() {
    ChoiceDataset.TaskItem piqa =
        Tasks.piqa(
            row(
                "{\"goal\": \"Open a jar\", \"sol1\": \"twist\", \"sol2\": \"pull\", \"label\": 0}"),
            "r");
    assertThat(piqa.contexts().get(0)).isEqualTo("Question: Open a jar\nAnswer:");
    assertThat(piqa.continuations()).containsExactly(" twist", " pull");

    ChoiceDataset.TaskItem arc =
        Tasks.arc(
            row(
                """
                {"question": "Which is a gas?", "choices": {"text": ["ice", "steam", "rock"],
                 "label": ["1", "2", "3"]}, "answerKey": "2"}"""),
            "r");
    assertThat(arc.contexts().get(0)).isEqualTo("Question: Which is a gas?\nAnswer:");
    assertThat(arc.label()).isEqualTo(1);

    ChoiceDataset.TaskItem boolq =
        Tasks.boolq(
            row("{\"passage\": \"Cats purr.\", \"question\": \"do cats purr\", \"label\": true}"),
            "r");
    assertThat(boolq.contexts().get(0)).isEqualTo("Cats purr.\nQuestion: do cats purr?\nAnswer:");
    assertThat(boolq.continuations()).containsExactly(" no", " yes");
    assertThat(boolq.label()).isEqualTo(1);

    ChoiceDataset.TaskItem obqa =
        Tasks.openbookqa(
            row(
                """
                {"question_stem": "The sun is", "choices": {"text": ["hot", "cold"], "label": ["A", "B"]},
                 "answerKey": " A"}"""),
            "r");
    assertThat(obqa.contexts().get(0)).isEqualTo("The sun is");
    assertThat(obqa.label()).isZero();
  }

  @Test
  void winograndeScoresTheSharedRestOfTheSentenceAfterEachFilledInStart() {
    ChoiceDataset.TaskItem item =
        Tasks.winogrande(
            row(
                """
                {"sentence": "Sarah lent Maria a book because _ had finished it.",
                 "option1": "Sarah", "option2": "Maria", "answer": "1"}"""),
            "r");
    assertThat(item.contexts())
        .containsExactly(
            "Sarah lent Maria a book because Sarah", "Sarah lent Maria a book because Maria");
    assertThat(item.continuations()).containsExactly(" had finished it.", " had finished it.");
    assertThat(item.label()).isZero();
  }

  @Test
  void theTaskReadsParquetRowsAndNamesABadOne() {
    List<ChoiceDataset.TaskItem> items =
        Tasks.read(
            Path.of("src/test/resources/data/arc-like.parquet"),
            "arc.parquet",
            Columns.NONE,
            "arc_easy",
            DatasetReader.Limits.DEFAULT);
    List<ChoiceDataset.ChoiceExample> source =
        ChoiceDataset.read(
            Path.of("src/test/resources/fixtures/tiny-gpt2/eval-choices.jsonl"),
            "c.jsonl",
            DatasetReader.Limits.DEFAULT);
    assertThat(items).hasSize(source.size());
    assertThat(items.get(3).label()).isEqualTo(source.get(3).label());
    assertThat(items.get(3).choices()).isEqualTo(source.get(3).choices());
    assertThatThrownBy(
            () ->
                Tasks.read(
                    Path.of("src/test/resources/data/arc-like.parquet"),
                    "arc.parquet",
                    Columns.NONE,
                    "piqa",
                    DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("arc.parquet:1: \"goal\" is missing or not a string");
    assertThatThrownBy(
            () ->
                Tasks.read(
                    Path.of("src/test/resources/data/arc-like.parquet"),
                    "arc.parquet",
                    new Columns(Map.of("text", "question")),
                    "arc_easy",
                    DatasetReader.Limits.DEFAULT))
        .hasMessageContaining("drop \"columns\"");
  }
}
