package io.headprune.scoring;

import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.Example;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import io.headprune.model.Batch;
import java.util.ArrayList;
import java.util.List;

/**
 * A prepared example with its label (null when unlabeled): tokens for text models, pixel values
 * for image models.
 *
 * @param tokens ids and type ids, special tokens included; null for an image
 * @param image the prepared image; null for text
 * @param label class index or regression target, or null
 */
public record Encoded(Tokens tokens, Image image, Double label) {

  /**
   * Pixel values of one image.
   *
   * @param pixels 3 × height × width float32, channels first
   * @param height image height
   * @param width image width
   * @param tokens the sequence the model makes of it (patches + 1)
   */
  public record Image(float[] pixels, int height, int width, int tokens) {}

  /** A text example. */
  public Encoded(Tokens tokens, Double label) {
    this(tokens, null, label);
  }

  public Encoded {
    if ((tokens == null) == (image == null)) {
      throw new IllegalArgumentException("an example is either tokens or an image");
    }
  }

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
    return tokens != null ? tokens.length() : image.tokens();
  }

  /** The batch of {@code examples}' entries at {@code indices}, on {@code scope}. */
  static Batch batch(NDManager scope, List<Encoded> examples, int[] indices, long padId) {
    Encoded first = examples.get(indices[0]);
    if (first.image() != null) {
      List<float[]> images = new ArrayList<>(indices.length);
      for (int i : indices) {
        Image image = examples.get(i).image();
        if (image == null || image.height() != first.image().height() || image.width() != first.image().width()) {
          throw new IllegalArgumentException("a batch mixes images of different sizes, or images and text");
        }
        images.add(image.pixels());
      }
      Image shape = first.image();
      return Batch.ofImages(scope, images, shape.height(), shape.width(), shape.tokens());
    }
    List<Tokens> tokens = new ArrayList<>(indices.length);
    for (int i : indices) {
      tokens.add(examples.get(i).tokens());
    }
    return Batch.of(scope, tokens, padId);
  }
}
