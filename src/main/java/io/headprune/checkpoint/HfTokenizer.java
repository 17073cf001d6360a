package io.headprune.checkpoint;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;

/** A {@code tokenizer.json} run by DJL's binding of Hugging Face tokenizers. */
final class HfTokenizer implements TextTokenizer {

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;

  private HfTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
  }

  @Override
  public int maxCharacters() {
    return (int) Math.min(Integer.MAX_VALUE, 64L * maxLength);
  }

  static HfTokenizer open(Path json, int maxLength) {
    try {
      return new HfTokenizer(
          HuggingFaceTokenizer.newInstance(json, TextTokenizer.hfOptions(maxLength)), maxLength);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("tokenizer.json cannot be loaded: " + e.getMessage());
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
  public void close() {
    tokenizer.close();
  }
}
