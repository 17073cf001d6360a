package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The engine's JSON mapper: bounded nesting and string sizes, a key given twice refused, pretty
 * output.
 */
public final class Json {

  /** Shared, thread-safe mapper for engine files (configs, headers, scores, reports). */
  public static final JsonMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(64)
                          .maxStringLength(16 * 1024 * 1024)
                          .maxNumberLength(64)
                          .build())
                  .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                  // a key given twice is ambiguous (which one counts?): refused, named
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .build())
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  private Json() {}

  /** Parses {@code bytes} as a JSON document, naming {@code what} when it is not valid JSON. */
  public static JsonNode parse(byte[] bytes, String what) {
    try {
      return MAPPER.readTree(bytes);
    } catch (JacksonException e) {
      throw new InvalidInputException(
          what + " is not valid JSON: " + InvalidInputException.plain(e.getOriginalMessage()));
    }
  }
}
