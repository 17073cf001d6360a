package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Turns text (or a text pair) into model input ids with special tokens, truncated. */
public interface TextTokenizer extends AutoCloseable {

  /** Token ids and token type ids of one example. */
  record Tokens(long[] ids, long[] typeIds) {

    public Tokens {
      if (ids.length != typeIds.length) {
        throw new IllegalArgumentException("ids and type ids differ in length");
      }
    }

    /** Number of tokens, special tokens included. */
    public int length() {
      return ids.length;
    }
  }

  /**
   * Encodes {@code text} (and {@code pair}, if not null), truncated to the tokenizer's max length.
   */
  Tokens encode(String text, String pair);

  /**
   * Characters of a text worth tokenising: beyond {@code maxLength × 64} the tokens would be
   * truncated away anyway, so a 1 MB line costs what a short one does.
   */
  default int maxCharacters() {
    return Integer.MAX_VALUE;
  }

  /**
   * Encodes {@code text} without special tokens and untruncated (a continuation appended to a
   * context).
   */
  default Tokens encodePlain(String text) {
    throw new InvalidInputException("multiple-choice data needs a tokenizer.json");
  }

  /**
   * Encodes {@code text} untruncated, with the tokenizer's special tokens or without (a corpus
   * tokenized once, as the perplexity protocols of the literature do).
   */
  default Tokens encodeAll(String text, boolean specialTokens) {
    throw new InvalidInputException("token recipes and tasks need a tokenizer.json");
  }

  @Override
  void close();

  /**
   * Opens the tokenizer of a model directory: {@code tokenizer.json} through Hugging Face's
   * tokenizers library, or else {@code vocab.txt} as lower-casing BERT WordPiece.
   */
  static TextTokenizer open(Path directory, int maxLength) {
    if (maxLength < 2) {
      throw new InvalidInputException("max length must be at least 2, got " + maxLength);
    }
    Path json = directory.resolve("tokenizer.json");
    if (Files.isRegularFile(json)) {
      return Isolation.on()
          ? new IsolatedTokenizer(json, maxLength)
          : HfTokenizer.open(json, maxLength);
    }
    Path vocab = directory.resolve("vocab.txt");
    if (Files.isRegularFile(vocab)) {
      return WordPieceTokenizer.read(vocab, lowerCase(directory), maxLength);
    }
    throw new InvalidInputException("model directory has neither tokenizer.json nor vocab.txt");
  }

  /**
   * Whether the tokenizers this thread opens encode {@code tokenizer.json} texts in a child process
   * ({@link IsolatedTokenizer}): a service worker's job thread turns it on, so that a tokenizer
   * that aborts its process fails the job, not the worker; the command line encodes in its own
   * process.
   */
  static void isolateNativeEncoding(boolean on) {
    if (on) {
      Isolation.ON.set(Boolean.TRUE);
    } else {
      Isolation.ON.remove();
    }
  }

  /** The calling thread's choice of {@link #isolateNativeEncoding}. */
  final class Isolation {
    private static final ThreadLocal<Boolean> ON = new ThreadLocal<>();

    private Isolation() {}

    static boolean on() {
      return ON.get() != null;
    }
  }

  private static boolean lowerCase(Path directory) {
    Path config = directory.resolve("tokenizer_config.json");
    if (!Files.isRegularFile(config)) {
      return true;
    }
    try {
      return Json.parse(Files.readAllBytes(config), "tokenizer_config.json")
          .path("do_lower_case")
          .asBoolean(true);
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot read tokenizer_config.json: " + InvalidInputException.plain(e.getMessage()));
    }
  }

  /**
   * Options for DJL's Hugging Face tokenizer: special tokens on, longest-first truncation, no
   * padding.
   */
  static Map<String, String> hfOptions(int maxLength) {
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("truncation", "longest_first");
    options.put("padding", "false");
    options.put("maxLength", Integer.toString(maxLength));
    return options;
  }
}
