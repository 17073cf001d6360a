package io.headprune.scoring;

import ai.djl.ndarray.NDManager;
import io.headprune.checkpoint.ChoiceDataset;
import io.headprune.checkpoint.Example;
import io.headprune.checkpoint.TextTokenizer;
import io.headprune.checkpoint.TextTokenizer.Tokens;
import io.headprune.model.Batch;
import io.headprune.progress.Phase;
import io.headprune.progress.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A prepared example with its label (null when unlabeled): tokens for text models, pixel values for
 * image models.
 *
 * @param tokens ids and type ids, special tokens included; null for an image or a choice item
 * @param image the prepared image; null for text
 * @param choices a multiple-choice item; null otherwise
 * @param label class index or regression target (a choice item: the right choice), or null
 */
public record Encoded(Tokens tokens, Image image, Choices choices, Double label) {

  /**
   * Pixel values of one image.
   *
   * @param pixels 3 × height × width float32, channels first
   * @param height image height
   * @param width image width
   * @param tokens the sequence the model makes of it (patches + 1)
   */
  public record Image(float[] pixels, int height, int width, int tokens) {}

  /**
   * A multiple-choice item: one sequence per choice, its context followed by its continuation.
   *
   * @param contextLengths tokens of each sequence's context; the continuation's tokens follow
   * @param sequences one token sequence per choice
   * @param lengths what acc_norm divides each choice's log-likelihood by (its length in characters,
   *     as lm-evaluation-harness does)
   */
  public record Choices(int[] contextLengths, List<Tokens> sequences, double[] lengths) {

    public Choices {
      sequences = List.copyOf(sequences);
      if (contextLengths.length != sequences.size() || lengths.length != sequences.size()) {
        throw new IllegalArgumentException("one context length and length per sequence");
      }
    }

    /** Choices sharing one context, unnormalised. */
    public Choices(int contextLength, List<Tokens> sequences) {
      this(
          Collections.nCopies(sequences.size(), contextLength).stream()
              .mapToInt(Integer::intValue)
              .toArray(),
          sequences,
          Collections.nCopies(sequences.size(), 1.0).stream()
              .mapToDouble(Double::doubleValue)
              .toArray());
    }
  }

  /** A text example. */
  public Encoded(Tokens tokens, Double label) {
    this(tokens, null, null, label);
  }

  /** An image example. */
  public Encoded(Image image, Double label) {
    this(null, image, null, label);
  }

  public Encoded {
    int kinds = (tokens == null ? 0 : 1) + (image == null ? 0 : 1) + (choices == null ? 0 : 1);
    if (kinds != 1) {
      throw new IllegalArgumentException("an example is tokens, an image or a choice item");
    }
  }

  /**
   * Tokenizes multiple-choice items: ids = encode(context) ++ encode(choice, no special tokens).
   */
  public static List<Encoded> ofChoices(
      TextTokenizer tokenizer, List<ChoiceDataset.ChoiceExample> items) {
    List<Encoded> encoded = new ArrayList<>(items.size());
    for (ChoiceDataset.ChoiceExample item : items) {
      Tokens context = tokenizer.encode(item.context(), null);
      List<Tokens> sequences = new ArrayList<>();
      for (String choice : item.choices()) {
        Tokens continuation = tokenizer.encodePlain(choice);
        long[] ids = Arrays.copyOf(context.ids(), context.length() + continuation.length());
        System.arraycopy(continuation.ids(), 0, ids, context.length(), continuation.length());
        sequences.add(new Tokens(ids, new long[ids.length]));
      }
      encoded.add(
          new Encoded(null, null, new Choices(context.length(), sequences), (double) item.label()));
    }
    return encoded;
  }

  /**
   * Encodes lm-evaluation-harness task items as the harness does ({@code HFLM._encode_pair}): the
   * context's trailing spaces move to the continuation, the continuation's tokens are those of
   * encode(context + continuation) after encode(context)'s, no special tokens unless {@code bos}
   * (the harness adds them for Gemma); a sequence longer than {@code maxTokens} loses its first
   * tokens.
   */
  public static List<Encoded> ofTaskItems(
      TextTokenizer tokenizer, List<ChoiceDataset.TaskItem> items, boolean bos, int maxTokens) {
    List<Encoded> encoded = new ArrayList<>(items.size());
    for (ChoiceDataset.TaskItem item : items) {
      int n = item.contexts().size();
      int[] contextLengths = new int[n];
      double[] lengths = new double[n];
      List<Tokens> sequences = new ArrayList<>(n);
      for (int c = 0; c < n; c++) {
        String context = item.contexts().get(c);
        String continuation = item.continuations().get(c);
        String stripped = context.stripTrailing();
        if (stripped.length() < context.length() && !stripped.isEmpty()) {
          continuation = context.substring(stripped.length()) + continuation;
          context = stripped;
        }
        long[] whole = tokenizer.encodeAll(context + continuation, bos).ids();
        int contextLength = tokenizer.encodeAll(context, bos).ids().length;
        long[] ids = whole;
        if (ids.length > maxTokens) {
          int drop = ids.length - maxTokens;
          ids = Arrays.copyOfRange(ids, drop, ids.length);
          contextLength = Math.max(1, contextLength - drop);
        }
        sequences.add(new Tokens(ids, new long[ids.length]));
        contextLengths[c] = contextLength;
        String choice = item.choices().get(c);
        lengths[c] = choice.codePointCount(0, choice.length());
      }
      encoded.add(
          new Encoded(
              null, null, new Choices(contextLengths, sequences, lengths), (double) item.label()));
    }
    return encoded;
  }

  /** Tokenizes {@code examples} in order. */
  public static List<Encoded> of(TextTokenizer tokenizer, List<Example> examples) {
    return of(tokenizer, examples, Progress.NONE);
  }

  /** Tokenizes {@code examples} in order, reporting phase "load" as it goes. */
  public static List<Encoded> of(
      TextTokenizer tokenizer, List<Example> examples, Progress progress) {
    List<Encoded> encoded = new ArrayList<>(examples.size());
    int limit = tokenizer.maxCharacters();
    for (Example example : examples) {
      encoded.add(
          new Encoded(
              tokenizer.encode(clip(example.text(), limit), clip(example.textPair(), limit)),
              example.label()));
      if (encoded.size() % 256 == 0) {
        progress.report(Phase.LOAD, encoded.size(), examples.size());
      }
    }
    return encoded;
  }

  private static String clip(String text, int limit) {
    return text == null || text.length() <= limit ? text : text.substring(0, limit);
  }

  /** Number of real tokens (a choice item: its longest sequence). */
  public int length() {
    if (choices != null) {
      return choices.sequences().stream().mapToInt(Tokens::length).max().orElse(0);
    }
    return tokens != null ? tokens.length() : image.tokens();
  }

  /** The batch of {@code examples}' entries at {@code indices}, on {@code scope}. */
  static Batch batch(NDManager scope, List<Encoded> examples, int[] indices, long padId) {
    Encoded first = examples.get(indices[0]);
    if (first.image() != null) {
      List<float[]> images = new ArrayList<>(indices.length);
      for (int i : indices) {
        Image image = examples.get(i).image();
        if (image == null
            || image.height() != first.image().height()
            || image.width() != first.image().width()) {
          throw new IllegalArgumentException(
              "a batch mixes images of different sizes, or images and text");
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
