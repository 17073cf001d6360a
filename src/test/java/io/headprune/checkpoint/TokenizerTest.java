package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.model.Models;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

  @TempDir Path dir;

  private Path vocabOnly(List<String> vocabulary, boolean lowerCase) throws IOException {
    Files.write(dir.resolve("vocab.txt"), vocabulary);
    Files.writeString(
        dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": " + lowerCase + "}");
    return dir;
  }

  @Test
  void vocabTxtAloneGivesTheSameIdsAsTokenizerJsonOnTheFixture() throws IOException {
    Path model = Fixtures.copy(Fixtures.tinyBert(), dir.resolve("model"));
    List<Example> examples =
        DatasetReader.read(model.resolve("eval.jsonl"), Models.config(model).labels());
    try (TextTokenizer json = TextTokenizer.open(model, 64)) {
      Files.delete(model.resolve("tokenizer.json"));
      try (TextTokenizer vocab = TextTokenizer.open(model, 64)) {
        assertThat(vocab.getClass().getSimpleName()).isEqualTo("WordPieceTokenizer");
        for (Example example : examples) {
          assertThat(vocab.encode(example.text(), null).ids())
              .isEqualTo(json.encode(example.text(), null).ids());
        }
      }
    }
  }

  @Test
  void wordPieceSplitsLowerCasesStripsAccentsAndSeparatesPunctuation() throws IOException {
    Path model =
        vocabOnly(
            List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", ",", "!"),
            true);
    try (TextTokenizer tokenizer = TextTokenizer.open(model, 64)) {
      TextTokenizer.Tokens tokens = tokenizer.encode("UnAffable, Café!  xyz", null);
      // [CLS] un ##aff ##able , cafe ! [UNK] [SEP]
      assertThat(tokens.ids()).containsExactly(2, 4, 5, 6, 8, 7, 9, 1, 3);
      assertThat(tokens.typeIds()).containsOnly(0);
    }
  }

  @Test
  void pairsGetTypeIdsAndLongestFirstTruncation() throws IOException {
    Path model = vocabOnly(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"), true);
    try (TextTokenizer tokenizer = TextTokenizer.open(model, 8)) {
      TextTokenizer.Tokens tokens = tokenizer.encode("a a a a a a", "b b");
      // 8 = [CLS] + 3 a + [SEP] + 2 b + [SEP]... longest first trims the first text to 3
      assertThat(tokens.ids()).containsExactly(2, 4, 4, 4, 3, 5, 5, 3);
      assertThat(tokens.typeIds()).containsExactly(0, 0, 0, 0, 0, 1, 1, 1);
    }
  }

  @Test
  void tokenizerJsonPairsGetSecondSegmentTypeIdsAndTruncation() {
    try (TextTokenizer tokenizer = TextTokenizer.open(Fixtures.tinyBert(), 6)) {
      TextTokenizer.Tokens single = tokenizer.encode("cat dog cat dog cat dog cat dog", null);
      assertThat(single.length()).isEqualTo(6);
      TextTokenizer.Tokens pair = tokenizer.encode("cat dog", "dog");
      assertThat(pair.typeIds()).containsExactly(0, 0, 0, 0, 1, 1);
    }
  }
}
