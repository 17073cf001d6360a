package io.headprune.checkpoint;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** A {@code tokenizer.json} run by DJL's binding of Hugging Face tokenizers. */
final class HfTokenizer implements TextTokenizer {

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final Path json;

  /** The same tokenizer without truncation, opened when first needed. */
  private HuggingFaceTokenizer untruncated;

  private HfTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, Path json) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.json = json;
  }

  @Override
  public int maxCharacters() {
    return (int) Math.min(Integer.MAX_VALUE, 64L * maxLength);
  }

  static HfTokenizer open(Path json, int maxLength) {
    // read by Jackson first: a key given twice (which the tokenizers library takes silently, the
    // last one winning) is refused by name, as in every JSON file headprune reads, and sizes that
    // would hold the native build for minutes are refused before it starts
    TokenizerBounds.DEFAULT.check(json);
    try {
      return new HfTokenizer(
          HuggingFaceTokenizer.newInstance(json, TextTokenizer.hfOptions(maxLength)),
          maxLength,
          json);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(
          "tokenizer.json cannot be loaded: " + InvalidInputException.plain(e.getMessage()));
    }
  }

  @Override
  public Tokens encode(String text, String pair) {
    Encoding encoding = pair == null ? tokenizer.encode(text) : tokenizer.encode(text, pair);
    return new Tokens(encoding.getIds(), encoding.getTypeIds());
  }

  @Override
  public Tokens encodePlain(String text) {
    Encoding encoding = tokenizer.encode(text, false, false);
    return new Tokens(encoding.getIds(), encoding.getTypeIds());
  }

  @Override
  public synchronized Tokens encodeAll(String text, boolean specialTokens) {
    if (untruncated == null) {
      try {
        untruncated =
            HuggingFaceTokenizer.newInstance(
                json, Map.of("truncation", "false", "padding", "false"));
      } catch (IOException | RuntimeException e) {
        throw new InvalidInputException(
            "tokenizer.json cannot be loaded: " + InvalidInputException.plain(e.getMessage()));
      }
    }
    Encoding encoding = untruncated.encode(text, specialTokens, false);
    return new Tokens(encoding.getIds(), encoding.getTypeIds());
  }

  @Override
  public synchronized void close() {
    tokenizer.close();
    if (untruncated != null) {
      untruncated.close();
    }
  }
}
