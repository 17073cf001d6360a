package io.headprune.problem;

import java.util.regex.Pattern;

/** Input (a checkpoint, a dataset, a request) that headprune cannot accept as given. */
public class InvalidInputException extends HeadpruneException {

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A Java class name: two or more lower-case package parts, then a capitalised name. */
  private static final String CLASS = "(?:[a-z][a-z0-9_]*\\.){2,}[A-Z][A-Za-z0-9_$]*";

  private static final Pattern QUOTED_CLASS = Pattern.compile("`" + CLASS + "`");

  private static final Pattern CLASS_PREFIX = Pattern.compile("\\b" + CLASS + "(?::\\s*|\\b)");

  /**
   * A library's message as a client may read it: the Java class names it carries, which say nothing
   * about the input, removed ("IOException reading next record:
   * org.apache.commons.csv.CSVException: Invalid char …" keeps "Invalid char …"; "value of type
   * `tools.jackson.databind.JsonNode`" reads "value of type a value").
   */
  public static String plain(String message) {
    if (message == null) {
      return "no reason given";
    }
    String plain =
        CLASS_PREFIX
            .matcher(QUOTED_CLASS.matcher(message).replaceAll("a value"))
            .replaceAll("")
            .trim();
    return plain.isEmpty() ? "no reason given" : plain;
  }

  @Override
  public String title() {
    return "Invalid input";
  }
}
