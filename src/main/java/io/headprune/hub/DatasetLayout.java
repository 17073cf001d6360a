package io.headprune.hub;

import io.headprune.checkpoint.Tables;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Where a dataset repository keeps each config's splits, found as {@code datasets.load_dataset}
 * finds them (huggingface/datasets, {@code data_files.py} and {@code load.py}): the card's {@code
 * configs:} YAML ({@code data_files} patterns per split), else the conventional layouts (split
 * names as delimited keywords in file or directory names), else the Hub's Parquet conversion
 * ({@code refs/convert/parquet}, {@code <config>/<split>/NNNN.parquet}). Only data files headprune
 * reads count.
 *
 * @param source where the layout came from: {@code card}, {@code layout} or {@code parquet}
 * @param configs config name to split name to its files, in order
 * @param defaultConfig the config taken when a request names none
 * @param labelNames the card's {@code class_label} names per config (column to names by index)
 */
public record DatasetLayout(
    String source,
    Map<String, Map<String, List<String>>> configs,
    String defaultConfig,
    Map<String, Map<String, List<String>>> labelNames) {

  /** The revision the Hub keeps its Parquet conversion of every public dataset under. */
  public static final String PARQUET_REVISION = "refs/convert/parquet";

  /** Split keywords as {@code datasets} recognises them in file and directory names. */
  static final Map<String, List<String>> SPLIT_KEYWORDS =
      Map.of(
          "train", List.of("train", "training"),
          "validation", List.of("validation", "valid", "dev", "val"),
          "test", List.of("test", "testing", "eval", "evaluation"));

  /** The order {@code datasets} lists splits in. */
  private static final List<String> SPLIT_ORDER = List.of("train", "validation", "test");

  /** Separators around a split keyword (datasets' NON_WORDS_CHARS: "-._ 0-9"). */
  private static final String SEP = "[-._ 0-9]";

  /** The files of {@code config}'s {@code split}; 404-style errors list what exists. */
  public List<String> files(String repo, String config, String split) {
    String chosen = config == null ? defaultConfig : config;
    Map<String, List<String>> splits = configs.get(chosen);
    if (splits == null) {
      throw new NotFoundException(
          "dataset "
              + repo
              + " has no config '"
              + chosen
              + "'; its configs are "
              + configs.keySet()
              + " ("
              + describe()
              + ")");
    }
    List<String> files = splits.get(split);
    if (files == null || files.isEmpty()) {
      throw new NotFoundException(
          "dataset "
              + repo
              + (configs.size() > 1 || !"default".equals(chosen) ? " config '" + chosen + "'" : "")
              + " has no split '"
              + split
              + "'; its splits are "
              + splits.keySet()
              + " ("
              + describe()
              + ")");
    }
    return files;
  }

  /** The config a request without one gets. */
  public String config(String requested) {
    return requested == null ? defaultConfig : requested;
  }

  private String describe() {
    return switch (source) {
      case "card" -> "from the dataset card's configs";
      case "layout" -> "from the repository's file names";
      default -> "from the Hub's Parquet conversion";
    };
  }

  /** The card's YAML header, or an empty map when there is none. */
  static Map<String, Object> cardHeader(String readme) {
    if (readme == null) {
      return Map.of();
    }
    String text = readme.replace("\r\n", "\n");
    if (!text.startsWith("---\n")) {
      return Map.of();
    }
    int end = text.indexOf("\n---", 4);
    if (end < 0) {
      return Map.of();
    }
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(16);
    options.setCodePointLimit(1 << 20);
    options.setNestingDepthLimit(32);
    options.setAllowRecursiveKeys(false);
    try {
      Object header = new Yaml(new SafeConstructor(options)).load(text.substring(4, end));
      if (header instanceof Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
      }
      return Map.of();
    } catch (RuntimeException e) {
      throw new InvalidInputException(
          "the dataset card's YAML header cannot be read: " + firstLine(e.getMessage()));
    }
  }

  /**
   * The layout of a repository's files: from its card's {@code configs}, else its file names; null
   * when neither finds a data file (the caller then asks the Parquet conversion).
   */
  static DatasetLayout of(Map<String, Object> card, Collection<String> files) {
    Map<String, Map<String, List<String>>> labels = labelNames(card);
    List<String> dataFiles =
        files.stream().filter(f -> Tables.format(f) != null && !hidden(f)).sorted().toList();
    if (card.get("configs") instanceof List<?> configs && !configs.isEmpty()) {
      Map<String, Map<String, List<String>>> layout = new LinkedHashMap<>();
      String flagged = null;
      for (Object entry : configs) {
        if (!(entry instanceof Map<?, ?> config)) {
          continue;
        }
        String name = text(config, "config_name", "default");
        layout.put(name, splitsOf(config.get("data_files"), dataFiles));
        if (Boolean.TRUE.equals(config.get("default")) && flagged == null) {
          flagged = name;
        }
      }
      // the flagged config, else "default", else the first (as datasets' builder configs pick)
      String defaultConfig =
          flagged != null
              ? flagged
              : layout.containsKey("default") || layout.isEmpty()
                  ? "default"
                  : layout.keySet().iterator().next();
      return new DatasetLayout("card", layout, defaultConfig, labels);
    }
    if (dataFiles.isEmpty()) {
      return null;
    }
    return new DatasetLayout(
        "layout", Map.of("default", conventionalSplits(dataFiles)), "default", labels);
  }

  /** The Parquet conversion's layout: {@code <config>/<split>/NNNN.parquet}. */
  static DatasetLayout parquetConversion(
      Collection<String> files, Map<String, Map<String, List<String>>> labels) {
    Map<String, Map<String, List<String>>> layout = new TreeMap<>();
    for (String file : files.stream().sorted().toList()) {
      String[] parts = file.split("/");
      if (parts.length == 3 && parts[2].endsWith(".parquet")) {
        String split = parts[1].startsWith("partial-") ? parts[1].substring(8) : parts[1];
        layout
            .computeIfAbsent(parts[0], c -> new LinkedHashMap<>())
            .computeIfAbsent(split, s -> new ArrayList<>())
            .add(file);
      }
    }
    String defaultConfig =
        layout.containsKey("default")
            ? "default"
            : layout.isEmpty() ? "default" : layout.keySet().iterator().next();
    return new DatasetLayout("parquet", layout, defaultConfig, labels);
  }

  /** A card config's {@code data_files}: a pattern, a list of them, or a list of split entries. */
  private static Map<String, List<String>> splitsOf(Object dataFiles, List<String> files) {
    Map<String, List<String>> splits = new LinkedHashMap<>();
    if (dataFiles == null) {
      return conventionalSplits(files);
    }
    if (dataFiles instanceof String || isListOfStrings(dataFiles)) {
      splits.put("train", matching(patterns(dataFiles), files));
      return splits;
    }
    if (dataFiles instanceof Map<?, ?> bySplit) { // {train: pattern, test: pattern}
      bySplit.forEach((k, v) -> splits.put(String.valueOf(k), matching(patterns(v), files)));
      return splits;
    }
    if (dataFiles instanceof List<?> entries) {
      for (Object entry : entries) {
        if (entry instanceof Map<?, ?> split) {
          splits.put(text(split, "split", "train"), matching(patterns(split.get("path")), files));
        }
      }
    }
    return splits;
  }

  private static boolean isListOfStrings(Object value) {
    return value instanceof List<?> list && list.stream().allMatch(v -> v instanceof String);
  }

  private static List<String> patterns(Object value) {
    if (value instanceof String pattern) {
      return List.of(pattern);
    }
    if (value instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  /**
   * Files matching any of the glob patterns ({@code *} within a directory, {@code **} across), in
   * order.
   */
  static List<String> matching(List<String> patterns, List<String> files) {
    Set<String> out = new LinkedHashSet<>();
    for (String pattern : patterns) {
      String glob = pattern.startsWith("./") ? pattern.substring(2) : pattern;
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
      for (String file : files) {
        if (matcher.matches(Path.of(file))) {
          out.add(file);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * Splits by keyword in the file's path, as {@code datasets}' default patterns: a split keyword
   * delimited by a separator (or a path boundary) in a directory or file name; no keyword anywhere
   * means one split, train.
   */
  static Map<String, List<String>> conventionalSplits(List<String> files) {
    Map<String, List<String>> splits = new LinkedHashMap<>();
    for (String split : SPLIT_ORDER) {
      List<String> matched = new ArrayList<>();
      for (String file : files) {
        if (hasKeyword(file, SPLIT_KEYWORDS.get(split))) {
          matched.add(file);
        }
      }
      if (!matched.isEmpty()) {
        splits.put(split, matched);
      }
    }
    if (splits.isEmpty()) {
      splits.put("train", List.copyOf(files));
    }
    return splits;
  }

  private static boolean hasKeyword(String file, List<String> keywords) {
    String lower = file.toLowerCase(Locale.ROOT);
    for (String keyword : keywords) {
      Pattern pattern =
          Pattern.compile("(^|/|" + SEP + ")" + Pattern.quote(keyword) + "(" + SEP + "|/)");
      if (pattern.matcher(lower).find()) {
        return true;
      }
    }
    return false;
  }

  private static boolean hidden(String file) {
    for (String part : file.split("/")) {
      if (part.startsWith(".") || part.startsWith("__")) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code class_label} names from the card's {@code dataset_info} (one entry, or one per config):
   * config to column to names by index.
   */
  static Map<String, Map<String, List<String>>> labelNames(Map<String, Object> card) {
    Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
    Object info = card.get("dataset_info");
    List<?> entries =
        info instanceof List<?> list ? list : info == null ? List.of() : List.of(info);
    for (Object entry : entries) {
      if (!(entry instanceof Map<?, ?> config)) {
        continue;
      }
      String name = text(config, "config_name", "default");
      Map<String, List<String>> columns = new LinkedHashMap<>();
      if (config.get("features") instanceof List<?> features) {
        for (Object feature : features) {
          if (feature instanceof Map<?, ?> f
              && f.get("dtype") instanceof Map<?, ?> dtype
              && dtype.get("class_label") instanceof Map<?, ?> classLabel
              && classLabel.get("names") != null) {
            columns.put(String.valueOf(f.get("name")), names(classLabel.get("names")));
          }
        }
      }
      out.put(name, columns);
    }
    return out;
  }

  /** {@code names} as a list or as {@code {'0': a, '1': b}}. */
  private static List<String> names(Object names) {
    if (names instanceof List<?> list) {
      return list.stream().map(String::valueOf).toList();
    }
    if (names instanceof Map<?, ?> map) {
      TreeMap<Integer, String> byIndex = new TreeMap<>();
      map.forEach(
          (k, v) -> byIndex.put(Integer.parseInt(String.valueOf(k).trim()), String.valueOf(v)));
      List<String> out = new ArrayList<>();
      byIndex.forEach((i, v) -> out.add(v));
      return out;
    }
    return List.of();
  }

  private static String text(Map<?, ?> map, String key, String otherwise) {
    Object value = map.get(key);
    return value == null ? otherwise : String.valueOf(value);
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }
}
