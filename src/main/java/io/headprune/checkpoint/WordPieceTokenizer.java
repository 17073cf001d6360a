package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's tokenizer from {@code vocab.txt} alone, for checkpoints without tokenizer.json: basic
 * tokenization (clean, CJK split, lower-case and strip accents, split on punctuation), greedy
 * longest-match WordPiece, {@code [CLS] a [SEP] b [SEP]}, longest-first truncation.
 */
final class WordPieceTokenizer implements TextTokenizer {

  private static final int MAX_WORD_CHARS = 100;

  private final Map<String, Integer> vocabulary;
  private final boolean lowerCase;
  private final int maxLength;
  private final int cls;
  private final int sep;
  private final int unknown;

  private WordPieceTokenizer(Map<String, Integer> vocabulary, boolean lowerCase, int maxLength) {
    this.vocabulary = vocabulary;
    this.lowerCase = lowerCase;
    this.maxLength = maxLength;
    this.cls = special(vocabulary, "[CLS]");
    this.sep = special(vocabulary, "[SEP]");
    this.unknown = special(vocabulary, "[UNK]");
  }

  @Override
  public int maxCharacters() {
    return (int) Math.min(Integer.MAX_VALUE, 64L * maxLength);
  }

  static WordPieceTokenizer read(Path vocab, boolean lowerCase, int maxLength) {
    Map<String, Integer> vocabulary = new HashMap<>();
    try {
      List<String> lines = Files.readAllLines(vocab, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        vocabulary.putIfAbsent(lines.get(i).strip(), i);
      }
    } catch (IOException e) {
      throw new InvalidInputException(
          "vocab.txt cannot be read as UTF-8: " + InvalidInputException.plain(e.getMessage()));
    }
    return new WordPieceTokenizer(vocabulary, lowerCase, maxLength);
  }

  private static int special(Map<String, Integer> vocabulary, String token) {
    Integer id = vocabulary.get(token);
    if (id == null) {
      throw new InvalidInputException("vocab.txt has no " + token + " token");
    }
    return id;
  }

  @Override
  public Tokens encode(String text, String pair) {
    List<Integer> first = wordPieces(text);
    List<Integer> second = pair == null ? List.of() : wordPieces(pair);
    int budget = maxLength - (pair == null ? 2 : 3);
    while (first.size() + second.size() > Math.max(0, budget)) {
      if (first.size() >= second.size()) {
        first.remove(first.size() - 1);
      } else {
        second.remove(second.size() - 1);
      }
    }
    int length = first.size() + (pair == null ? 2 : 3 + second.size());
    long[] ids = new long[length];
    long[] types = new long[length];
    int at = 0;
    ids[at++] = cls;
    for (int id : first) {
      ids[at++] = id;
    }
    ids[at++] = sep;
    if (pair != null) {
      int start = at;
      for (int id : second) {
        ids[at++] = id;
      }
      ids[at++] = sep;
      Arrays.fill(types, start, at, 1);
    }
    return new Tokens(ids, types);
  }

  private List<Integer> wordPieces(String text) {
    List<Integer> out = new ArrayList<>();
    for (String word : basicTokens(text)) {
      pieces(word, out);
    }
    return out;
  }

  private List<String> basicTokens(String text) {
    StringBuilder cleaned = new StringBuilder();
    text.codePoints()
        .forEach(
            cp -> {
              if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
              }
              if (Character.isWhitespace(cp)
                  || Character.getType(cp) == Character.SPACE_SEPARATOR) {
                cleaned.append(' ');
              } else if (isCjk(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
              } else {
                cleaned.appendCodePoint(cp);
              }
            });
    String normal = cleaned.toString();
    if (lowerCase) {
      normal =
          Normalizer.normalize(normal.toLowerCase(Locale.ROOT), Normalizer.Form.NFD)
              .codePoints()
              .filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
              .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
              .toString();
    }
    List<String> words = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    normal
        .codePoints()
        .forEach(
            cp -> {
              if (cp == ' ') {
                flush(current, words);
              } else if (isPunctuation(cp)) {
                flush(current, words);
                words.add(new String(Character.toChars(cp)));
              } else {
                current.appendCodePoint(cp);
              }
            });
    flush(current, words);
    return words;
  }

  private void pieces(String word, List<Integer> out) {
    int[] chars = word.codePoints().toArray();
    if (chars.length > MAX_WORD_CHARS) {
      out.add(unknown);
      return;
    }
    List<Integer> found = new ArrayList<>();
    int start = 0;
    while (start < chars.length) {
      int end = chars.length;
      Integer match = null;
      while (start < end) {
        String piece = new String(chars, start, end - start);
        match = vocabulary.get(start > 0 ? "##" + piece : piece);
        if (match != null) {
          break;
        }
        end--;
      }
      if (match == null) {
        out.add(unknown);
        return;
      }
      found.add(match);
      start = end;
    }
    out.addAll(found);
  }

  private static void flush(StringBuilder current, List<String> words) {
    if (current.length() > 0) {
      words.add(current.toString());
      current.setLength(0);
    }
  }

  private static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.FORMAT
        || type == Character.UNASSIGNED
        || type == Character.PRIVATE_USE
        || type == Character.SURROGATE;
  }

  private static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47)
        || (cp >= 58 && cp <= 64)
        || (cp >= 91 && cp <= 96)
        || (cp >= 123 && cp <= 126)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.CONNECTOR_PUNCTUATION
        || type == Character.DASH_PUNCTUATION
        || type == Character.START_PUNCTUATION
        || type == Character.END_PUNCTUATION
        || type == Character.INITIAL_QUOTE_PUNCTUATION
        || type == Character.FINAL_QUOTE_PUNCTUATION
        || type == Character.OTHER_PUNCTUATION;
  }

  private static boolean isCjk(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }

  @Override
  public void close() {
    // nothing native to release
  }
}
