package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;

/**
 * How a dataset's rows become examples: as they are, or as one of the recipes of the pruning
 * literature.
 */
public sealed interface Recipe {

  /** One example per row (the default). */
  Recipe EXAMPLES = new Examples();

  /** The recipe's name in requests and reports. */
  String id();

  /**
   * The recipe a request or command line names (every argument but {@code maxLength} may be null:
   * recipe examples, 128 segments, windows of {@code maxLength} tokens, seed 0), checking that the
   * options fit it.
   */
  static Recipe of(
      String recipe, Integer segments, Integer tokens, Long seed, String task, int maxLength) {
    String name = recipe == null ? "examples" : recipe;
    if (task != null && !"examples".equals(name)) {
      throw new InvalidInputException("a task formats rows as examples: drop recipe " + name);
    }
    if (!"segments".equals(name) && (segments != null || seed != null)) {
      throw new InvalidInputException("segments and seed apply to recipe segments only");
    }
    if ("examples".equals(name) && tokens != null) {
      throw new InvalidInputException("tokens applies to recipes segments and corpus only");
    }
    int window = tokens == null ? maxLength : tokens;
    return switch (name) {
      case "examples" -> task == null ? EXAMPLES : new Task(task);
      case "segments" ->
          new Segments(segments == null ? 128 : segments, window, seed == null ? 0 : seed);
      case "corpus" -> new Corpus(window);
      default ->
          throw new InvalidInputException(
              "recipe '" + name + "' is not one of examples, segments, corpus");
    };
  }

  /** One example per row. */
  record Examples() implements Recipe {
    @Override
    public String id() {
      return "examples";
    }
  }

  /**
   * Random windows of {@code tokens} tokens from the corpus of the text column joined by a space,
   * as SparseGPT (github.com/IST-DASLab/sparsegpt, datautils.py {@code get_wikitext2}) and Wanda
   * draw their calibration: window starts uniform in [0, T − tokens − 1], drawn with {@code seed}.
   *
   * @param segments how many windows
   * @param tokens tokens per window
   * @param seed the draw's seed
   */
  record Segments(int segments, int tokens, long seed) implements Recipe {
    @Override
    public String id() {
      return "segments";
    }
  }

  /**
   * The corpus perplexity protocol of the literature (SparseGPT datautils.py / llama.py {@code
   * llama_eval}, WikiText-2): the text column joined by {@code "\n\n"}, tokenized once, cut into
   * non-overlapping windows of {@code tokens} (the incomplete tail dropped); perplexity is token
   * weighted over all windows.
   *
   * @param tokens tokens per window
   */
  record Corpus(int tokens) implements Recipe {
    @Override
    public String id() {
      return "corpus";
    }
  }

  /**
   * A multiple-choice task as lm-evaluation-harness defines it (prompt, choices, target delimiter),
   * scored by {@code acc} and {@code acc_norm}.
   *
   * @param task hellaswag, piqa, arc_easy, arc_challenge, winogrande, boolq or openbookqa
   */
  record Task(String task) implements Recipe {
    @Override
    public String id() {
      return "task:" + task;
    }
  }
}
