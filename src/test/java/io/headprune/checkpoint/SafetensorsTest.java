package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir Path dir;

  private static ByteBuffer floats(float... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buffer.putFloat(v);
    }
    return buffer.flip();
  }

  /** A file with the given header JSON and {@code dataBytes} bytes of data. */
  private Path raw(String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer file =
        ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    file.putLong(json.length).put(json);
    Path path = dir.resolve("t.safetensors");
    Files.write(path, file.array());
    return path;
  }

  @Test
  void writtenFilesReadBackWithMetadataAndAlignedData() throws IOException {
    Path path = dir.resolve("model.safetensors");
    SafetensorsWriter.write(
        path,
        List.of(
            new SafetensorsWriter.Tensor("a", DType.F32, new long[] {2, 2}, floats(1, 2, 3, 4)),
            new SafetensorsWriter.Tensor("b", DType.F16, new long[] {3}, ByteBuffer.allocate(6))));
    byte[] bytes = Files.readAllBytes(path);
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat((8 + headerLength) % 8).isZero();
    assertThat(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8))
        .startsWith("{\"__metadata__\":{\"format\":\"pt\"}");
    try (SafetensorsFile file = SafetensorsFile.open(path)) {
      assertThat(file.metadata()).isEqualTo(Map.of("format", "pt"));
      assertThat(file.tensors().get("a").shape()).containsExactly(2, 2);
      assertThat(file.tensors().get("b").dtype()).isEqualTo(DType.F16);
      ByteBuffer a = file.bytes("a");
      assertThat(a.getFloat(12)).isEqualTo(4f);
    }
  }

  @Test
  void truncatedFileIsRejected() throws IOException {
    Path path = dir.resolve("t.safetensors");
    Files.write(path, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void headerLengthPastTheEndOfTheFileIsRejected() throws IOException {
    ByteBuffer file =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put(new byte[8]);
    Path path = dir.resolve("t.safetensors");
    Files.write(path, file.array());
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("runs past the end of the file");
  }

  @Test
  void hugeHeaderLengthIsRejectedBeforeAllocating() throws IOException {
    ByteBuffer file =
        ByteBuffer.allocate(16)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(Long.MAX_VALUE)
            .put(new byte[8]);
    Path path = dir.resolve("t.safetensors");
    Files.write(path, file.array());
    assertThatThrownBy(() -> SafetensorsFile.open(path)).hasMessageContaining("header length");
  }

  @Test
  void overlappingOffsetsAreRejected() throws IOException {
    Path path =
        raw(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12);
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("overlap");
  }

  @Test
  void offsetsOutOfRangeAreRejected() throws IOException {
    Path path = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void unknownDtypeIsRejected() throws IOException {
    Path path = raw("{\"a\":{\"dtype\":\"F8_E4M3X\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("unknown dtype 'F8_E4M3X'");
  }

  @Test
  void shapeThatDisagreesWithTheByteLengthIsRejected() throws IOException {
    Path path = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("data_offsets span 8 bytes");
  }

  @Test
  void headerThatIsNotJsonIsRejected() throws IOException {
    Path path = raw("{not json", 0);
    assertThatThrownBy(() -> SafetensorsFile.open(path))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("not valid JSON");
  }

  @Test
  void holesBetweenTensorsAreRejected() throws IOException {
    Path path = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(path)).hasMessageContaining("unused bytes");
  }
}
