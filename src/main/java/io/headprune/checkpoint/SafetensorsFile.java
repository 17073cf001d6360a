package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import tools.jackson.databind.JsonNode;

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
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header = Json.parse(headerBytes.array(), "safetensors " + file + " header");
      long dataLength = size - 8 - headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorInfo> tensors = parseHeader(file, header, dataLength, metadata);
      return new SafetensorsFile(path, channel, 8 + headerLength, tensors, metadata);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file, e);
    }
  }

  private static Map<String, TensorInfo> parseHeader(
      String file, JsonNode header, long dataLength, Map<String, String> metadata) {
    if (!header.isObject()) {
      throw new InvalidInputException("safetensors " + file + ": header is not a JSON object");
    }
    List<TensorInfo> entries = new ArrayList<>();
    for (Map.Entry<String, JsonNode> entry : header.properties()) {
      String name = entry.getKey();
      JsonNode value = entry.getValue();
      if (name.equals("__metadata__")) {
        readMetadata(file, value, metadata);
      } else {
        entries.add(readEntry(file, name, value, dataLength));
      }
    }
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
  public synchronized void read(
      String name, int chunk, java.util.function.Consumer<ByteBuffer> sink) {
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
