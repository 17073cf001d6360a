package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;

/**
 * A validated safetensors file, read through memory maps. The header is checked before any tensor
 * is touched: size bound, known dtypes, shape × dtype size = byte length, offsets inside the file,
 * no overlap and no holes (as the reference Rust library requires).
 */
public final class SafetensorsFile implements AutoCloseable {

  /** Headers larger than this are refused (the reference library uses the same bound). */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;

  /** The reused buffer of {@link #read}. */
  private ByteBuffer chunkBuffer;

  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates {@code path}; the caller closes it. */
  public static SafetensorsFile open(Path path) {
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot open safetensors file "
              + path.getFileName()
              + ": "
              + InvalidInputException.plain(e.getMessage()));
    }
    try {
      return read(path, channel);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static SafetensorsFile read(Path path, FileChannel channel) {
    String file = path.getFileName().toString();
    try {
      long size = channel.size();
      if (size < 8) {
        throw new InvalidInputException(
            "safetensors "
                + file
                + ": truncated, "
                + size
                + " bytes is shorter than the 8-byte header length");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
        throw new InvalidInputException(
            "safetensors "
                + file
                + ": header length "
                + Long.toUnsignedString(headerLength)
                + " is outside [2, "
                + MAX_HEADER_BYTES
                + "]");
      }
      if (8 + headerLength > size) {
        throw new InvalidInputException(
            "safetensors "
                + file
                + ": header length "
                + headerLength
                + " runs past the end of the file ("
                + size
                + " bytes)");
      }
      long dataLength = size - 8 - headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorInfo> tensors =
          checkEntries(
              file, readHeader(file, channel, headerLength, dataLength, metadata), dataLength);
      return new SafetensorsFile(path, channel, 8 + headerLength, tensors, metadata);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
  }

  /** Reads one value of a stream that goes on after it. */
  private static final ObjectReader ONE_VALUE =
      Json.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Most tensors one file may declare (published checkpoints hold hundreds to a few thousand). */
  public static final int MAX_TENSORS = 200_000;

  /**
   * Reads the header's entries as they stream from the file — one entry's JSON at a time, never the
   * whole header in memory (a 100 MB header parsed whole would take gigabytes of heap) — refusing
   * more than {@link #MAX_TENSORS}.
   */
  private static List<TensorInfo> readHeader(
      String file,
      FileChannel channel,
      long headerLength,
      long dataLength,
      Map<String, String> metadata)
      throws IOException {
    InputStream in =
        new BufferedInputStream(
            new Limited(Channels.newInputStream(channel.position(8)), headerLength), 1 << 16);
    List<TensorInfo> entries = new ArrayList<>();
    try (JsonParser parser = Json.MAPPER.createParser(in)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidInputException("safetensors " + file + ": header is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        JsonNode value = ONE_VALUE.readTree(parser);
        if (name.equals("__metadata__")) {
          readMetadata(file, value, metadata);
          continue;
        }
        if (entries.size() == MAX_TENSORS) {
          throw new InvalidInputException(
              "safetensors " + file + ": header declares more than " + MAX_TENSORS + " tensors");
        }
        entries.add(readEntry(file, name, value, dataLength));
      }
      if (parser.nextToken() != null) {
        throw new InvalidInputException(
            "safetensors " + file + ": header has content after its JSON object");
      }
    } catch (JacksonException e) {
      throw new InvalidInputException(
          "safetensors "
              + file
              + " header is not valid JSON: "
              + InvalidInputException.plain(e.getOriginalMessage()));
    }
    return entries;
  }

  /**
   * The first {@code left} bytes of a stream: the header, not the tensor data after it. Closing it
   * leaves the file open (the tensors are read from it later).
   */
  private static final class Limited extends FilterInputStream {
    private long left;

    @Override
    public void close() {
      // the channel stays open
    }

    Limited(InputStream in, long left) {
      super(in);
      this.left = left;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      left -= b >= 0 ? 1 : 0;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int read = super.read(buffer, offset, (int) Math.min(length, left));
      left -= Math.max(read, 0);
      return read;
    }
  }

  /** The entries in file order, contiguous and covering the data section exactly. */
  private static Map<String, TensorInfo> checkEntries(
      String file, List<TensorInfo> entries, long dataLength) {
    entries.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo info : entries) {
      if (info.begin() < expected) {
        throw new InvalidInputException(
            "safetensors "
                + file
                + ": tensor '"
                + info.name()
                + "' data_offsets ["
                + info.begin()
                + ", "
                + info.end()
                + "] overlap the previous tensor, which ends at "
                + expected);
      }
      if (info.begin() > expected) {
        throw new InvalidInputException(
            "safetensors "
                + file
                + ": "
                + (info.begin() - expected)
                + " unused bytes before tensor '"
                + info.name()
                + "' (data_offsets must be contiguous)");
      }
      expected = info.end();
    }
    if (expected != dataLength) {
      throw new InvalidInputException(
          "safetensors "
              + file
              + ": data section has "
              + dataLength
              + " bytes but the tensors cover "
              + expected);
    }
    Map<String, TensorInfo> byName = new LinkedHashMap<>();
    entries.forEach(info -> byName.put(info.name(), info));
    return Collections.unmodifiableMap(byName);
  }

  private static void readMetadata(String file, JsonNode value, Map<String, String> metadata) {
    if (!value.isObject()) {
      throw new InvalidInputException("safetensors " + file + ": __metadata__ is not an object");
    }
    for (Map.Entry<String, JsonNode> meta : value.properties()) {
      if (!meta.getValue().isString()) {
        throw new InvalidInputException(
            "safetensors " + file + ": __metadata__ value '" + meta.getKey() + "' is not a string");
      }
      metadata.put(meta.getKey(), meta.getValue().stringValue());
    }
  }

  private static TensorInfo readEntry(String file, String name, JsonNode value, long dataLength) {
    String where = "safetensors " + file + ": tensor '" + name + "'";
    if (!value.isObject()) {
      throw new InvalidInputException(where + " is not an object");
    }
    JsonNode dtype = value.get("dtype");
    JsonNode shape = value.get("shape");
    JsonNode offsets = value.get("data_offsets");
    if (dtype == null || !dtype.isString()) {
      throw new InvalidInputException(where + " has no string dtype");
    }
    if (shape == null || !shape.isArray()) {
      throw new InvalidInputException(where + " has no shape array");
    }
    if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new InvalidInputException(where + " has no data_offsets pair");
    }
    DType type = DType.parse(dtype.stringValue(), name);
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode dim = shape.get(i);
      if (!dim.isIntegralNumber() || !dim.canConvertToLong() || dim.longValue() < 0) {
        throw new InvalidInputException(
            where + " has an invalid dimension " + dim + " in its shape");
      }
      dims[i] = dim.longValue();
    }
    long[] range = new long[2];
    for (int i = 0; i < 2; i++) {
      JsonNode offset = offsets.get(i);
      if (!offset.isIntegralNumber() || !offset.canConvertToLong() || offset.longValue() < 0) {
        throw new InvalidInputException(where + " has an invalid data offset " + offset);
      }
      range[i] = offset.longValue();
    }
    if (range[1] < range[0]) {
      throw new InvalidInputException(
          where
              + " has data_offsets ["
              + range[0]
              + ", "
              + range[1]
              + "] that end before they begin");
    }
    if (range[1] > dataLength) {
      throw new InvalidInputException(
          where
              + " has data_offsets ["
              + range[0]
              + ", "
              + range[1]
              + "] out of range: the data section has "
              + dataLength
              + " bytes");
    }
    TensorInfo info = new TensorInfo(name, type, dims, range[0], range[1]);
    long expected;
    try {
      expected = Math.multiplyExact(info.elements(), (long) type.bytes());
    } catch (ArithmeticException e) {
      throw new InvalidInputException(
          where + " has a shape " + info.shapeText() + " too large to address");
    }
    if (expected != info.byteLength()) {
      throw new InvalidInputException(
          where
              + " has shape "
              + info.shapeText()
              + " of "
              + type
              + " ("
              + expected
              + " bytes) but data_offsets span "
              + info.byteLength()
              + " bytes");
    }
    return info;
  }

  /** Tensors by name, in file order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The header's {@code __metadata__} (empty if absent). */
  public Map<String, String> metadata() {
    return Collections.unmodifiableMap(metadata);
  }

  /** The file this was read from. */
  public Path path() {
    return path;
  }

  /** A read-only, little-endian memory map of one tensor's bytes. */
  public ByteBuffer bytes(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new InvalidInputException(
          "safetensors " + path.getFileName() + " has no tensor '" + name + "'");
    }
    if (info.byteLength() > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "tensor '"
              + name
              + "' is "
              + info.byteLength()
              + " bytes; a single tensor must stay below 2 GiB");
    }
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException("mapping tensor " + name, e);
    }
  }

  /**
   * Reads one tensor's bytes in order, in chunks of at most {@code chunk} bytes (a multiple of 8)
   * through one reused direct buffer, handing each little-endian chunk to {@code sink}: no mapping
   * stays resident and no whole-tensor copy is made on the way.
   */
  public synchronized void read(String name, int chunk, Consumer<ByteBuffer> sink) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new InvalidInputException(
          "safetensors " + path.getFileName() + " has no tensor '" + name + "'");
    }
    if (chunkBuffer == null || chunkBuffer.capacity() != chunk) {
      chunkBuffer = ByteBuffer.allocateDirect(chunk).order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer buffer = chunkBuffer;
    try {
      for (long done = 0; done < info.byteLength(); ) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), info.byteLength() - done));
        readFully(channel, buffer, dataStart + info.begin() + done);
        done += buffer.position();
        sink.accept(buffer.flip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading tensor " + name, e);
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    long at = position;
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, at);
      if (read < 0) {
        throw new InvalidInputException("safetensors file ended early at byte " + at);
      }
      at += read;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // the open failed already; that error is the one worth reporting
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
