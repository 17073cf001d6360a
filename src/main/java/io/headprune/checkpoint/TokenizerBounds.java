package io.headprune.checkpoint;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Sizes a {@code tokenizer.json} may have, checked by reading its JSON before the native library
 * builds it: building is not interruptible, and grows faster than linearly with the added tokens
 * (here 20,000 take 1 s, 50,000 take 8 s; the probe's 200,000 held a thread 12 minutes). The bounds
 * are several times what published models have (Gemma's 262,144-token vocabulary, Llama 3's 280,147
 * merges, a few thousand added tokens).
 *
 * @param vocabulary most entries of {@code model.vocab}
 * @param addedTokens most entries of {@code added_tokens}
 * @param merges most entries of {@code model.merges}
 * @param regexLength longest {@code "Regex"} pattern (pre-tokenizers, normalizers, decoders)
 */
record TokenizerBounds(int vocabulary, int addedTokens, int merges, int regexLength) {

  static final TokenizerBounds DEFAULT = new TokenizerBounds(2_000_000, 20_000, 4_000_000, 4_096);

  /**
   * Reads {@code json} through once: syntax and keys given twice (refused as {@link Json#MAPPER}
   * refuses them), then the bounds, each refusal naming the field and its count.
   */
  void check(Path json) {
    try (JsonParser parser = Json.MAPPER.createParser(json.toFile())) {
      if (parser.nextToken() != null) {
        walk(parser, "");
      }
      if (parser.nextToken() != null) {
        throw new InvalidInputException("tokenizer.json has content after its JSON value");
      }
    } catch (JacksonException e) {
      throw new InvalidInputException(
          "tokenizer.json is not valid JSON: "
              + InvalidInputException.plain(e.getOriginalMessage()));
    }
  }

  /** Walks the value at the parser's current token, {@code path} its dotted location. */
  private void walk(JsonParser parser, String path) {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT) {
      long entries = 0;
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        entries = count(path, ++entries);
        if (name.equals("Regex")
            && parser.currentToken() == JsonToken.VALUE_STRING
            && parser.getString().length() > regexLength) {
          throw new InvalidInputException(
              "tokenizer.json has a regex of "
                  + parser.getString().length()
                  + " characters at "
                  + path
                  + ", more than "
                  + regexLength);
        }
        walk(parser, path.isEmpty() ? name : path + "." + name);
      }
    } else if (token == JsonToken.START_ARRAY) {
      long entries = 0;
      while (parser.nextToken() != JsonToken.END_ARRAY) {
        entries = count(path, ++entries);
        walk(parser, path);
      }
    }
  }

  /** Counts one more entry of the object or array at {@code path} against its bound. */
  private long count(String path, long entries) {
    int bound =
        switch (path) {
          case "model.vocab" -> vocabulary;
          case "added_tokens" -> addedTokens;
          case "model.merges" -> merges;
          default -> Integer.MAX_VALUE;
        };
    if (entries > bound) {
      throw new InvalidInputException(
          "tokenizer.json has more than "
              + bound
              + " entries in "
              + path
              + "; headprune refuses it before the tokenizer library spends minutes building it");
    }
    if (entries % 65_536 == 0) {
      Deadline.check("reading tokenizer.json");
    }
    return entries;
  }
}
