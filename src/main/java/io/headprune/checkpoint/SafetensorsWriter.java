package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes safetensors files as the reference library does: {@code __metadata__} first, the header
 * padded with spaces so the data starts at a multiple of 8, tensors contiguous. Writes to a
 * temporary sibling and renames, so a reader never sees half a file.
 */
public final class SafetensorsWriter {

  /** A tensor to write: raw little-endian bytes in C order. */
  public record Tensor(String name, DType dtype, long[] shape, ByteBuffer data) {

    public Tensor {
      shape = shape.clone();
      long expected = 1;
      for (long dim : shape) {
        expected = Math.multiplyExact(expected, dim);
      }
      expected = Math.multiplyExact(expected, (long) dtype.bytes());
      if (expected != data.remaining()) {
        throw new InvalidInputException(
            "tensor '" + name + "': " + data.remaining() + " bytes given for " + expected);
      }
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }
  }

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (in the given order) with {@code {"format": "pt"}} metadata. */
  public static void write(Path target, List<Tensor> tensors) {
    write(target, tensors, Map.of("format", "pt"));
  }

  /** Writes {@code tensors} (in the given order) with the given metadata. */
  public static void write(Path target, List<Tensor> tensors, Map<String, String> metadata) {
    ObjectNode header = Json.MAPPER.createObjectNode();
    ObjectNode meta = header.putObject("__metadata__");
    metadata.forEach(meta::put);
    long offset = 0;
    for (Tensor tensor : tensors) {
      ObjectNode entry = header.putObject(tensor.name());
      entry.put("dtype", tensor.dtype().name());
      ArrayNode shape = entry.putArray("shape");
      for (long dim : tensor.shape()) {
        shape.add(dim);
      }
      long end = offset + tensor.data().remaining();
      entry.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = SafetensorsFile.utf8(header.toString());
    int padding = (8 - (8 + json.length) % 8) % 8;
    ByteBuffer head = ByteBuffer.allocate(8 + json.length + padding).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(json.length + padding).put(json);
    for (int i = 0; i < padding; i++) {
      head.put((byte) ' ');
    }
    head.flip();
    Path temporary = target.resolveSibling(target.getFileName() + ".partial");
    try (FileChannel channel =
        FileChannel.open(
            temporary,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeFully(channel, head);
      for (Tensor tensor : tensors) {
        writeFully(channel, tensor.data().duplicate());
      }
      channel.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + target, e);
    }
    try {
      Files.move(
          temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("renaming " + temporary + " to " + target, e);
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
