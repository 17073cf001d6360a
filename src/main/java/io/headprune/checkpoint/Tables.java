package io.headprune.checkpoint;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.duckdb.DuckDBStruct;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Data files as people have them, read as rows of JSON objects (column name to value) through
 * well-kept readers: JSON Lines and JSON (a top-level array or {@code {"data": [...]}}) through
 * Jackson's streaming parser, CSV/TSV (header row, quoting, embedded newlines) through Commons CSV,
 * Parquet through DuckDB's reader (nested lists and structs kept, an image column's {@code
 * {"bytes": …}} as binary). Text formats may be compressed ({@code .gz}, {@code .zst}); every bound
 * (rows, characters per value, bytes after decompression) is checked while reading, and every
 * problem names the file and row.
 *
 * <p>A directory is a stored Hub split: its {@link #MANIFEST} lists the shard files in order.
 */
public final class Tables {

  /** One row and where it stands ({@code file:row}). */
  @FunctionalInterface
  public interface RowSink {

    /** Takes one row; returns false to stop reading. */
    boolean accept(ObjectNode row, String where);
  }

  /** Lists a stored split's shard files, in order ({@code {"files": ["0000.parquet", …]}}). */
  public static final String MANIFEST = "dataset.json";

  /** The formats read, by their extension. */
  public static final List<String> FORMATS = List.of("jsonl", "json", "csv", "tsv", "parquet");

  /** Compressions read for the text formats. */
  public static final List<String> COMPRESSIONS = List.of("gz", "zst");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Reads one object of a streamed array (the rest of the array follows it). */
  private static final ObjectReader ROW_READER =
      Json.MAPPER
          .readerFor(ObjectNode.class)
          .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private Tables() {}

  /**
   * The format of a file name ({@code jsonl}, {@code json}, {@code csv}, {@code tsv}, {@code
   * parquet}), with a {@code .gz} or {@code .zst} suffix allowed on the text formats; null when not
   * a data file.
   */
  public static String format(String name) {
    String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
    String compression = compression(lower);
    if (compression != null) {
      lower = lower.substring(0, lower.length() - compression.length() - 1);
    }
    for (String format : FORMATS) {
      if (lower.endsWith("." + format)) {
        return "parquet".equals(format) && compression != null ? null : format;
      }
    }
    return lower.endsWith(".ndjson") ? "jsonl" : null;
  }

  /** The compression suffix of a name ({@code gz}, {@code zst}) or null. */
  static String compression(String lowerName) {
    for (String compression : COMPRESSIONS) {
      if (lowerName.endsWith("." + compression)) {
        return compression;
      }
    }
    return null;
  }

  /** The suffix a stored copy keeps: format plus compression, e.g. {@code csv.gz}. */
  public static String suffix(String name) {
    String format = format(name);
    if (format == null) {
      throw new InvalidInputException(unsupported(name));
    }
    String compression = compression(name.toLowerCase(Locale.ROOT));
    return compression == null ? format : format + "." + compression;
  }

  /** The message for a file that is not one of the formats read. */
  public static String unsupported(String name) {
    return "dataset file '"
        + name
        + "' is not a data file headprune reads: .jsonl, .json, .csv, .tsv (each optionally .gz or"
        + " .zst) or .parquet";
  }

  /**
   * Reads the rows of {@code file} (named {@code name} in messages; its format from that name) or
   * of the shards a directory's manifest lists, until the sink says stop.
   */
  public static void read(Path file, String name, DatasetReader.Limits limits, RowSink each) {
    // an upload's validation reads under a time budget: every row checks it
    RowSink sink =
        (row, where) -> {
          Deadline.check("reading the rows of " + name);
          return each.accept(row, where);
        };
    if (Files.isDirectory(file)) {
      Counter counter = new Counter(limits.maxBytes());
      long rows = manifest(file).path("rows").asLong(Long.MAX_VALUE);
      long[] read = {0};
      for (String shard : shards(file)) {
        boolean[] stopped = {false};
        readFile(
            file.resolve(shard),
            shard,
            limits,
            counter,
            (row, where) -> {
              boolean more = sink.accept(row, where) && ++read[0] < rows;
              stopped[0] = !more;
              return more;
            });
        if (stopped[0]) {
          return;
        }
      }
      return;
    }
    readFile(file, name, limits, new Counter(limits.maxBytes()), sink);
  }

  /** The first row of a data file, or null when it has none (errors as {@link #read}). */
  public static ObjectNode firstRow(Path file, String name, DatasetReader.Limits limits) {
    ObjectNode[] first = {null};
    read(
        file,
        name,
        limits,
        (row, where) -> {
          first[0] = row;
          return false;
        });
    return first[0];
  }

  /** The shard files of a stored split, in order. */
  public static List<String> shards(Path directory) {
    JsonNode files = manifest(directory).path("files");
    List<String> shards = new ArrayList<>();
    for (JsonNode shard : files) {
      String name = shard.asString("");
      if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
        throw new InvalidInputException(MANIFEST + " names a bad shard '" + name + "'");
      }
      shards.add(name);
    }
    return shards;
  }

  /** A stored split's manifest. */
  public static JsonNode manifest(Path directory) {
    try {
      return Json.parse(Files.readAllBytes(directory.resolve(MANIFEST)), MANIFEST);
    } catch (IOException e) {
      throw new InvalidInputException("a stored dataset split has no readable " + MANIFEST);
    }
  }

  /** Bytes read after decompression, across a split's shards. */
  private static final class Counter {
    private final long max;
    private long read;

    Counter(long max) {
      this.max = max;
    }

    void add(long n, String name) {
      read += n;
      if (read > max) {
        throw new InvalidInputException(
            "dataset " + name + " holds more than " + max + " bytes once decompressed");
      }
    }
  }

  private static void readFile(
      Path file, String name, DatasetReader.Limits limits, Counter counter, RowSink sink) {
    String format = format(name);
    if (format == null) {
      throw new InvalidInputException(unsupported(name));
    }
    if ("parquet".equals(format)) {
      Parquet.read(file, name, limits, sink);
      return;
    }
    try (InputStream in = open(file, name, counter)) {
      switch (format) {
        case "csv" -> delimited(reader(in), CSVFormat.DEFAULT, name, limits, sink);
        case "tsv" -> delimited(reader(in), CSVFormat.TDF, name, limits, sink);
        case "json" -> json(in, name, limits, sink);
        default -> jsonLines(new BufferedReader(reader(in)), name, limits, sink);
      }
    } catch (CharacterCodingException e) {
      throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
    } catch (IOException e) {
      throw new InvalidInputException(
          "dataset " + name + " cannot be read: " + InvalidInputException.plain(e.getMessage()));
    }
  }

  private static InputStream open(Path file, String name, Counter counter) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file));
    String compression = compression(name.toLowerCase(Locale.ROOT));
    InputStream decompressed;
    try {
      decompressed =
          compression == null
              ? raw
              : "gz".equals(compression)
                  ? new GZIPInputStream(raw, 1 << 16)
                  : new ZstdCompressorInputStream(raw);
    } catch (IOException e) {
      raw.close();
      throw new InvalidInputException(
          "dataset "
              + name
              + " is not a valid ."
              + compression
              + " file: "
              + InvalidInputException.plain(e.getMessage()));
    }
    return new FilterInputStream(decompressed) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          counter.add(1, name);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          counter.add(n, name);
        }
        return n;
      }
    };
  }

  private static Reader reader(InputStream in) {
    return new InputStreamReader(
        in,
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT));
  }

  private static void jsonLines(
      BufferedReader reader, String name, DatasetReader.Limits limits, RowSink sink)
      throws IOException {
    int rows = 0;
    int number = 0;
    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
      number++;
      String where = name + ":" + number;
      if (line.length() > limits.maxLineChars()) {
        throw new InvalidInputException(
            where + ": line is longer than " + limits.maxLineChars() + " characters");
      }
      if (line.isBlank()) {
        continue;
      }
      JsonNode row = Json.parse(line.getBytes(StandardCharsets.UTF_8), where);
      if (!row.isObject()) {
        throw new InvalidInputException(where + ": line is not a JSON object");
      }
      checkRows(++rows, name, limits);
      if (!sink.accept((ObjectNode) row, where)) {
        return;
      }
    }
  }

  /** A top-level array of objects, or an object whose {@code "data"} is one; streamed. */
  private static void json(InputStream in, String name, DatasetReader.Limits limits, RowSink sink) {
    try (JsonParser parser = Json.MAPPER.createParser(reader(in))) {
      JsonToken first = parser.nextToken();
      if (first == JsonToken.START_OBJECT) {
        boolean found = false;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if ("data".equals(field) && value == JsonToken.START_ARRAY) {
            found = true;
            break;
          }
          parser.skipChildren();
        }
        if (!found) {
          throw new InvalidInputException(
              name + ": a JSON dataset is an array of objects or an object whose \"data\" is one");
        }
      } else if (first != JsonToken.START_ARRAY) {
        throw new InvalidInputException(
            name + ": a JSON dataset is an array of objects or an object whose \"data\" is one");
      }
      int rows = 0;
      for (JsonToken token = parser.nextToken();
          token != JsonToken.END_ARRAY;
          token = parser.nextToken()) {
        String where = name + ":" + (rows + 1);
        if (token != JsonToken.START_OBJECT) {
          throw new InvalidInputException(where + ": row is not a JSON object");
        }
        ObjectNode row = ROW_READER.readValue(parser);
        checkStrings(row, where, limits);
        checkRows(++rows, name, limits);
        if (!sink.accept(row, where)) {
          return;
        }
      }
    } catch (JacksonException e) {
      if (e.getCause() instanceof CharacterCodingException) {
        throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
      }
      if (e.getCause() instanceof InvalidInputException refused) {
        throw refused;
      }
      throw new InvalidInputException(
          name + " is not valid JSON: " + InvalidInputException.plain(e.getOriginalMessage()));
    }
  }

  private static void checkStrings(JsonNode node, String where, DatasetReader.Limits limits) {
    if (node.isString() && node.stringValue().length() > limits.maxLineChars()) {
      throw new InvalidInputException(
          where + ": a value is longer than " + limits.maxLineChars() + " characters");
    }
    for (JsonNode child : node.values()) {
      checkStrings(child, where, limits);
    }
  }

  private static void delimited(
      Reader reader, CSVFormat base, String name, DatasetReader.Limits limits, RowSink sink)
      throws IOException {
    CSVFormat format = base.builder().setHeader().setSkipHeaderRecord(true).setTrim(false).get();
    String kind = base == CSVFormat.TDF ? "TSV" : "CSV";
    try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
      Map<String, Integer> header = parser.getHeaderMap();
      if (header == null || header.isEmpty()) {
        throw new InvalidInputException(name + ": " + kind + " has no header row");
      }
      int rows = 0;
      for (CSVRecord record : parser) {
        String where = name + ":" + (record.getRecordNumber() + 1);
        ObjectNode row = NODES.objectNode();
        for (Map.Entry<String, Integer> column : header.entrySet()) {
          if (column.getValue() < record.size()) {
            String value = record.get(column.getValue());
            if (value.length() > limits.maxLineChars()) {
              throw new InvalidInputException(
                  where
                      + ": column \""
                      + column.getKey()
                      + "\" is longer than "
                      + limits.maxLineChars()
                      + " characters");
            }
            row.put(column.getKey(), value);
          }
        }
        checkRows(++rows, name, limits);
        if (!sink.accept(row, where)) {
          return;
        }
      }
    } catch (IllegalArgumentException | UncheckedIOException e) {
      if (e.getCause() instanceof CharacterCodingException) {
        throw new InvalidInputException("dataset " + name + " is not valid UTF-8");
      }
      if (e.getCause() instanceof InvalidInputException refused) {
        throw refused;
      }
      throw new InvalidInputException(
          name + ": malformed " + kind + ": " + InvalidInputException.plain(e.getMessage()));
    }
  }

  private static void checkRows(int rows, String name, DatasetReader.Limits limits) {
    if (rows > limits.maxRows()) {
      throw new InvalidInputException(
          "dataset " + name + " has more than " + limits.maxRows() + " rows");
    }
  }

  /**
   * Parquet through DuckDB: an in-memory database that may read only the file's directory (no other
   * file, no network, no extension loading; settings locked), one thread and bounded memory, rows
   * streamed.
   */
  static final class Parquet {

    private Parquet() {}

    static void read(Path file, String name, DatasetReader.Limits limits, RowSink sink) {
      Properties properties = new Properties();
      properties.setProperty("jdbc_stream_results", "true");
      try (Connection connection = DriverManager.getConnection("jdbc:duckdb:", properties)) {
        lockDown(connection, file.toAbsolutePath().getParent());
        try (PreparedStatement query =
            connection.prepareStatement("SELECT * FROM read_parquet(?)")) {
          query.setString(1, file.toAbsolutePath().toString());
          try (ResultSet rows = query.executeQuery()) {
            ResultSetMetaData columns = rows.getMetaData();
            int count = 0;
            while (rows.next()) {
              count++;
              String where = name + ":" + count;
              checkRows(count, name, limits);
              ObjectNode row = NODES.objectNode();
              for (int i = 1; i <= columns.getColumnCount(); i++) {
                row.set(columns.getColumnName(i), node(rows.getObject(i), where, limits));
              }
              if (!sink.accept(row, where)) {
                return;
              }
            }
          }
        }
      } catch (SQLException e) {
        throw new InvalidInputException(
            name + " is not a readable Parquet file: " + reason(e, file, name));
      }
    }

    /** Rows of a Parquet file, counted from its footer without reading the data. */
    static long rowCount(Path file, String name) {
      try (Connection connection = DriverManager.getConnection("jdbc:duckdb:")) {
        lockDown(connection, file.toAbsolutePath().getParent());
        try (PreparedStatement query =
            connection.prepareStatement(
                "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)")) {
          query.setString(1, file.toAbsolutePath().toString());
          try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
          }
        }
      } catch (SQLException e) {
        throw new InvalidInputException(
            name + " is not a readable Parquet file: " + reason(e, file, name));
      }
    }

    /** DuckDB's first line, the stored file's path (a server detail) replaced by its name. */
    private static String reason(SQLException e, Path file, String name) {
      String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      return message.replace(file.toAbsolutePath().toString(), name).replaceAll("/[^'\" ]*/", "");
    }

    private static void lockDown(Connection connection, Path directory) throws SQLException {
      try (Statement settings = connection.createStatement()) {
        settings.execute("SET threads = 1");
        settings.execute("SET memory_limit = '512MB'");
        settings.execute("SET autoinstall_known_extensions = false");
        settings.execute("SET autoload_known_extensions = false");
        settings.execute(
            "SET allowed_directories = ['" + directory.toString().replace("'", "''") + "/']");
        settings.execute("SET enable_external_access = false");
        settings.execute("SET lock_configuration = true");
      }
    }

    private static JsonNode node(Object value, String where, DatasetReader.Limits limits)
        throws SQLException {
      if (value == null) {
        return NODES.nullNode();
      }
      if (value instanceof String text) {
        if (text.length() > limits.maxLineChars()) {
          throw new InvalidInputException(
              where + ": a value is longer than " + limits.maxLineChars() + " characters");
        }
        return NODES.stringNode(text);
      }
      if (value instanceof Boolean flag) {
        return NODES.booleanNode(flag);
      }
      if (value instanceof Long
          || value instanceof Integer
          || value instanceof Short
          || value instanceof Byte) {
        return NODES.numberNode(((Number) value).longValue());
      }
      if (value instanceof BigInteger big) {
        return NODES.numberNode(big);
      }
      if (value instanceof Number number) {
        return NODES.numberNode(number.doubleValue());
      }
      if (value instanceof Blob blob) {
        return NODES.binaryNode(blob.getBytes(1, (int) blob.length()));
      }
      if (value instanceof byte[] bytes) {
        return NODES.binaryNode(bytes);
      }
      if (value instanceof Array array) {
        ArrayNode list = NODES.arrayNode();
        for (Object element : (Object[]) array.getArray()) {
          list.add(node(element, where, limits));
        }
        return list;
      }
      if (value instanceof DuckDBStruct struct) {
        ObjectNode object = NODES.objectNode();
        for (Map.Entry<String, Object> field : struct.getMap().entrySet()) {
          object.set(field.getKey(), node(field.getValue(), where, limits));
        }
        return object;
      }
      if (value instanceof Map<?, ?> map) {
        ObjectNode object = NODES.objectNode();
        for (Map.Entry<?, ?> field : map.entrySet()) {
          object.set(String.valueOf(field.getKey()), node(field.getValue(), where, limits));
        }
        return object;
      }
      return NODES.stringNode(value.toString());
    }
  }

  /**
   * Rows of a data file: Parquet from its footer, others by reading them (bounded as reads are).
   */
  public static long rowCount(Path file, String name, DatasetReader.Limits limits) {
    if ("parquet".equals(format(name))) {
      return Parquet.rowCount(file, name);
    }
    long[] rows = {0};
    read(
        file,
        name,
        limits,
        (row, where) -> {
          rows[0]++;
          return true;
        });
    return rows[0];
  }
}
