package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * JSON Lines as every dataset here reads them: strict UTF-8, one JSON object a line, blank lines
 * skipped, each line bounded, every problem named by {@code file:line}.
 */
final class JsonLines {

  /** One object and where it stands ({@code name:line}). */
  @FunctionalInterface
  interface Row {
    void accept(JsonNode row, String where);
  }

  private JsonLines() {}

  /** Reads {@code reader}'s lines as objects. */
  static void read(BufferedReader reader, String name, int maxLineChars, Row sink)
      throws IOException {
    int number = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      number++;
      String where = name + ":" + number;
      if (line.length() > maxLineChars) {
        throw new InvalidInputException(
            where + ": line is longer than " + maxLineChars + " characters");
      }
      if (line.isBlank()) {
        continue;
      }
      JsonNode row = Json.parse(line.getBytes(StandardCharsets.UTF_8), where);
      if (!row.isObject()) {
        throw new InvalidInputException(where + ": line is not a JSON object");
      }
      sink.accept(row, where);
    }
  }

  /** Reads {@code file} (named {@code name} in messages) as objects. */
  static void read(Path file, String name, int maxLineChars, Row sink) {
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      read(reader, name, maxLineChars, sink);
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
    } catch (IOException e) {
      throw new InvalidInputException("dataset " + name + " cannot be read");
    }
  }

  /**
   * True when the first object of a .jsonl file has {@code field} (false for anything unreadable).
   */
  static boolean firstRowHas(Path file, String field) {
    if (!file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl")) {
      return false;
    }
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          JsonNode row =
              Json.parse(line.getBytes(StandardCharsets.UTF_8), file.getFileName().toString());
          return row.isObject() && row.has(field);
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
