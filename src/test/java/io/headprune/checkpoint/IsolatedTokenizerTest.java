package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

/**
 * Encoding in a child process: the same tokens as in this process, and a tokenizer whose regex
 * aborts the process (Oniguruma's backtracking limit, a panic the tokenizers library cannot return
 * to Java) fails the call, not this JVM.
 */
class IsolatedTokenizerTest {

  @TempDir Path dir;

  @Test
  void aChildEncodesAsThisProcessDoes() {
    Path json = Fixtures.resource("fixtures/tiny-gpt2/tokenizer.json");
    try (TextTokenizer local = HfTokenizer.open(json, 16);
        TextTokenizer isolated = new IsolatedTokenizer(json, 16)) {
      for (String text : new String[] {"hello world", "ab ".repeat(40), "é ü 😀", ""}) {
        assertThat(isolated.encode(text, null).ids()).isEqualTo(local.encode(text, null).ids());
        assertThat(isolated.encode(text, "and a pair").typeIds())
            .isEqualTo(local.encode(text, "and a pair").typeIds());
        assertThat(isolated.encodePlain(text).ids()).isEqualTo(local.encodePlain(text).ids());
        assertThat(isolated.encodeAll(text, true).ids())
            .isEqualTo(local.encodeAll(text, true).ids());
      }
    }
  }

  @Test
  void aTokenizerThatAbortsItsProcessFailsTheCallAndThisJvmLivesOn() throws IOException {
    // the probe's tokenizer: a Split pre-tokenizer (a+)+$ on "a" × 4000 + "!" makes the native
    // library abort its process ("retry-limit-in-match over", then "failed to initiate panic")
    ObjectNode json =
        (ObjectNode)
            Json.MAPPER.readTree(Fixtures.resource("fixtures/tiny-gpt2/tokenizer.json").toFile());
    json.putObject("pre_tokenizer")
        .put("type", "Split")
        .put("behavior", "Isolated")
        .put("invert", false)
        .putObject("pattern")
        .put("Regex", "(a+)+$");
    Path evil = Files.writeString(dir.resolve("tokenizer.json"), json.toString());

    try (TextTokenizer tokenizer = new IsolatedTokenizer(evil, 16)) {
      assertThat(tokenizer.encode("a short text", null).length()).isPositive();
      assertThatThrownBy(() -> tokenizer.encode("a".repeat(4000) + "!", null))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("the tokenizers library aborted while encoding text 2")
          .hasMessageContaining("4001 characters")
          .hasMessageContaining("retry-limit-in-match");
      // a new child for the next text
      assertThat(tokenizer.encode("still here", null).length()).isPositive();
    }
    assertThat(Runtime.getRuntime().availableProcessors()).isPositive(); // this JVM is alive
  }
}
