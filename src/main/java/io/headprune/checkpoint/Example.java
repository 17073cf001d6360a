package io.headprune.checkpoint;

/**
 * One calibration or evaluation example.
 *
 * @param text the first (or only) text
 * @param textPair the second text of a pair, or null
 * @param label class index or regression target, or null when unlabeled
 */
public record Example(String text, String textPair, Double label) {

  public Example {
    if (text == null) {
      throw new IllegalArgumentException("text must not be null");
    }
  }
}
