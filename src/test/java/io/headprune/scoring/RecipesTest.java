package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ChoiceDataset;
import io.headprune.checkpoint.Columns;
import io.headprune.checkpoint.DataSource;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.Recipe;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.model.Models;
import io.headprune.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The literature's recipes: token segments (SparseGPT/Wanda calibration), corpus windows (the
 * WikiText-2 perplexity protocol), the harness's pair encoding and its acc / acc_norm rule.
 */
class RecipesTest {

  private static final Path GPT2 = Path.of("src/test/resources/fixtures/tiny-gpt2");
  private static final Path CORPUS = Path.of("src/test/resources/data/corpus-like.parquet");

  /** The corpus's rows joined by {@code joiner} and tokenized once, as the recipes define it. */
  private static long[] joined(TextTokenizer tokenizer, String joiner) {
    List<String> texts = new ArrayList<>();
    DatasetReader.read(CORPUS, "c.parquet", Columns.NONE, null, DatasetReader.Limits.DEFAULT)
        .forEach(e -> texts.add(e.text()));
    return tokenizer.encodeAll(String.join(joiner, texts), true).ids();
  }

  private static long[] ids(Encoded encoded) {
    return encoded.tokens().ids();
  }

  @Test
  void segmentsAreSeededWindowsOfTheSpaceJoinedCorpusAndCorpusWindowsTileIt() {
    try (Checkpoint checkpoint = Models.open(GPT2);
        Inputs inputs = Inputs.open(checkpoint, 64);
        TextTokenizer tokenizer = TextTokenizer.open(GPT2, 64)) {
      long[] spaced = joined(tokenizer, " ");
      long[] paragraphs = joined(tokenizer, "\n\n");
      assertThat(spaced.length).isGreaterThan(200); // untruncated: far more than maxLength 64

      DataSource segments =
          new DataSource(CORPUS, "c.parquet", null, new Recipe.Segments(12, 16, 0));
      List<Encoded> windows =
          inputs.read(segments, DatasetReader.Limits.DEFAULT, Integer.MAX_VALUE, Progress.NONE);
      assertThat(windows).hasSize(12);
      String corpus = Arrays.toString(spaced);
      for (Encoded window : windows) {
        assertThat(ids(window)).hasSize(16);
        assertThat(window.label()).isNull();
        String slice = Arrays.toString(ids(window));
        assertThat(corpus).contains(slice.substring(1, slice.length() - 1));
      }
      List<Encoded> again =
          inputs.read(segments, DatasetReader.Limits.DEFAULT, Integer.MAX_VALUE, Progress.NONE);
      assertThat(again.stream().map(RecipesTest::ids).toList())
          .usingRecursiveComparison()
          .isEqualTo(windows.stream().map(RecipesTest::ids).toList());
      List<Encoded> otherSeed =
          inputs.read(
              new DataSource(CORPUS, "c.parquet", null, new Recipe.Segments(12, 16, 1)),
              DatasetReader.Limits.DEFAULT,
              Integer.MAX_VALUE,
              Progress.NONE);
      assertThat(Arrays.equals(ids(otherSeed.get(0)), ids(windows.get(0)))).isFalse();

      List<Encoded> tiles =
          inputs.read(
              new DataSource(CORPUS, "c.parquet", null, new Recipe.Corpus(32)),
              DatasetReader.Limits.DEFAULT,
              1, // the protocol keeps every window, whatever the evaluation cap
              Progress.NONE);
      assertThat(tiles).hasSize(paragraphs.length / 32);
      for (int w = 0; w < tiles.size(); w++) {
        assertThat(ids(tiles.get(w)))
            .isEqualTo(Arrays.copyOfRange(paragraphs, w * 32, (w + 1) * 32));
      }
      assertThatThrownBy(
              () ->
                  inputs.read(
                      new DataSource(CORPUS, "c.parquet", null, new Recipe.Corpus(100_000)),
                      DatasetReader.Limits.DEFAULT,
                      10,
                      Progress.NONE))
          .hasMessageContaining("more than the model's");
    }
  }

  @Test
  void aHarnessPairMovesTheContextsTrailingSpaceAndTakesTheContinuationFromTheWhole() {
    try (TextTokenizer tokenizer = TextTokenizer.open(GPT2, 64)) {
      ChoiceDataset.TaskItem item =
          new ChoiceDataset.TaskItem(
              List.of("ladder basket ", "ladder basket "),
              List.of("forest", " table forest"),
              List.of("forest", "table forest"),
              1);
      Encoded.Choices choices =
          Encoded.ofTaskItems(tokenizer, List.of(item), false, 1024).get(0).choices();
      long[] context = tokenizer.encodeAll("ladder basket", false).ids();
      long[] whole = tokenizer.encodeAll("ladder basket forest", false).ids();
      assertThat(choices.contextLengths()).containsExactly(context.length, context.length);
      assertThat(choices.sequences().get(0).ids()).isEqualTo(whole);
      assertThat(choices.lengths()).containsExactly(6.0, 12.0);
      // left-truncated to the model's positions, the context shrinking first
      Encoded.Choices cut =
          Encoded.ofTaskItems(tokenizer, List.of(item), false, 3).get(0).choices();
      assertThat(cut.sequences().get(0).ids())
          .isEqualTo(Arrays.copyOfRange(whole, whole.length - 3, whole.length));
    }
  }

  @Test
  void accPicksTheLargestLogLikelihoodAndAccNormTheLargestPerCharacter() {
    // two choices: "a" (1 character) at −3.0 and "a long answer" (13 characters) at −6.5
    double[] lls = {-3.0, -6.5};
    double[] lengths = {1, 13};
    assertThat(Evaluator.pick(lls, lengths, false)).isZero();
    assertThat(Evaluator.pick(lls, lengths, true)).isEqualTo(1); // −0.5 per character beats −3.0
    assertThat(Evaluator.pick(new double[] {-2, -2}, new double[] {1, 1}, true)).isZero();
  }

  @Test
  void aRecipeIsNamedWithOptionsThatFitIt() {
    assertThat(Recipe.of(null, null, null, null, null, 64)).isEqualTo(Recipe.EXAMPLES);
    assertThat(Recipe.of("segments", null, null, null, null, 64))
        .isEqualTo(new Recipe.Segments(128, 64, 0));
    assertThat(Recipe.of("corpus", null, 2048, null, null, 64)).isEqualTo(new Recipe.Corpus(2048));
    assertThat(Recipe.of(null, null, null, null, "piqa", 64)).isEqualTo(new Recipe.Task("piqa"));
    assertThatThrownBy(() -> Recipe.of("corpus", 8, null, null, null, 64))
        .hasMessageContaining("apply to recipe segments only");
    assertThatThrownBy(() -> Recipe.of(null, null, 32, null, null, 64))
        .hasMessageContaining("tokens applies to recipes segments and corpus only");
    assertThatThrownBy(() -> Recipe.of("corpus", null, null, null, "piqa", 64))
        .hasMessageContaining("a task formats rows as examples");
    assertThatThrownBy(() -> Recipe.of("windows", null, null, null, null, 64))
        .hasMessageContaining("is not one of examples, segments, corpus");
  }
}
