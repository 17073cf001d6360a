package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Which column of a data file is which field of an example: {@code {"text": "sentence"}}, {@code
 * {"text": "premise", "textPair": "hypothesis"}}, {@code {"context": "ctx", "choices": "endings"}},
 * {@code {"image": "img"}}. A source may name a nested field with dots ({@code choices.text}).
 * Fields not mapped keep their default column names ({@code text}, {@code text_pair}, {@code
 * label}, {@code context}, {@code choices}, {@code image}).
 *
 * @param mapping field to source column, only the fields the user mapped
 */
public record Columns(Map<String, String> mapping) {

  /** The fields and the column each reads when not mapped. */
  public static final Map<String, String> DEFAULTS = defaults();

  /** No mapping: every field from its default column. */
  public static final Columns NONE = new Columns(Map.of());

  private static final Pattern SOURCE = Pattern.compile("[^\\x00-\\x1f]{1,256}");

  public Columns {
    mapping = Map.copyOf(mapping == null ? Map.of() : mapping);
    for (Map.Entry<String, String> entry : mapping.entrySet()) {
      if (!DEFAULTS.containsKey(entry.getKey())) {
        throw new InvalidInputException(
            "columns: unknown field '"
                + entry.getKey()
                + "'; map any of "
                + String.join(", ", DEFAULTS.keySet()));
      }
      if (entry.getValue() == null || !SOURCE.matcher(entry.getValue()).matches()) {
        throw new InvalidInputException(
            "columns." + entry.getKey() + " must name a column (1 to 256 printable characters)");
      }
    }
  }

  private static Map<String, String> defaults() {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("text", "text");
    defaults.put("textPair", "text_pair");
    defaults.put("label", "label");
    defaults.put("context", "context");
    defaults.put("choices", "choices");
    defaults.put("image", "image");
    return Collections.unmodifiableMap(defaults);
  }

  /**
   * Parses the command line's {@code text=sentence,label=label} (a field may also be given in its
   * file spelling, {@code text_pair}).
   */
  public static Columns parse(String spec) {
    if (spec == null || spec.isBlank()) {
      return NONE;
    }
    Map<String, String> mapping = new LinkedHashMap<>();
    for (String pair : spec.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0 || eq == pair.length() - 1) {
        throw new InvalidInputException(
            "--columns takes field=column pairs joined by ',', e.g. text=sentence,label=label; got '"
                + pair
                + "'");
      }
      String field = pair.substring(0, eq).trim();
      mapping.put("text_pair".equals(field) ? "textPair" : field, pair.substring(eq + 1).trim());
    }
    return new Columns(mapping);
  }

  /** The column {@code field} reads. */
  public String source(String field) {
    return mapping.getOrDefault(field, DEFAULTS.get(field));
  }

  /** True when the user mapped {@code field}. */
  public boolean maps(String field) {
    return mapping.containsKey(field);
  }

  /**
   * The row with every field under its file name ({@code text}, {@code text_pair}, …) read from its
   * column; a mapped column that the row lacks is an error naming the columns it has.
   */
  public ObjectNode apply(ObjectNode row, String where) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, String> field : DEFAULTS.entrySet()) {
      String source = source(field.getKey());
      JsonNode value = lookup(row, source);
      if (value == null) {
        if (maps(field.getKey())) {
          throw new InvalidInputException(
              where
                  + ": column '"
                  + source
                  + "' (mapped to "
                  + field.getKey()
                  + ") is not in the data; its columns are "
                  + names(row));
        }
        continue;
      }
      out.set(field.getValue(), value);
    }
    return out;
  }

  /** The row's column names, for messages. */
  public static List<String> names(ObjectNode row) {
    return row.propertyNames().stream().toList();
  }

  private static JsonNode lookup(JsonNode row, String source) {
    JsonNode direct = row.get(source);
    if (direct != null || source.indexOf('.') < 0) {
      return direct;
    }
    JsonNode node = row;
    for (String part : source.split("\\.")) {
      node = node == null || !node.isObject() ? null : node.get(part);
    }
    return node;
  }
}
