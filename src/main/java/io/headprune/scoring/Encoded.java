package io.headprune.scoring;

import io.headprune.checkpoint.Example;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import java.util.ArrayList;
import java.util.List;

/**
 * A tokenized example with its label (null when unlabeled).
 *
 * @param tokens ids and type ids, special tokens included
 * @param label class index or regression target, or null
 */
public record Encoded(Tokens tokens, Double label) {

  /** Tokenizes {@code examples} in order. */
  public static List<Encoded> of(TextTokenizer tokenizer, List<Example> examples) {
    List<Encoded> encoded = new ArrayList<>(examples.size());
    for (Example example : examples) {
      encoded.add(new Encoded(tokenizer.encode(example.text(), example.textPair()), example.label()));
    }
    return encoded;
  }

  /** Number of real tokens. */
  public int length() {
    return tokens.length();
  }
}
