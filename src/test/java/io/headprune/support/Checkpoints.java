package io.headprune.support;

import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.SafetensorsFile;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import tools.jackson.databind.node.ObjectNode;

/** Builds modified copies of a fixture checkpoint for tests. */
public final class Checkpoints {

  private Checkpoints() {}

  /**
   * Rewrites {@code dir/model.safetensors}, passing every tensor through {@code change} (null drops
   * it).
   */
  public static void rewrite(Path dir, UnaryOperator<SafetensorsWriter.Tensor> change) {
    Path weights = dir.resolve("model.safetensors");
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    try (SafetensorsFile file = SafetensorsFile.open(weights)) {
      for (TensorInfo info : file.tensors().values()) {
        ByteBuffer copy =
            ByteBuffer.allocate((int) info.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(file.bytes(info.name())).flip();
        SafetensorsWriter.Tensor changed =
            change.apply(
                new SafetensorsWriter.Tensor(info.name(), info.dtype(), info.shape(), copy));
        if (changed != null) {
          tensors.add(changed);
        }
      }
    }
    SafetensorsWriter.write(weights, tensors);
  }

  /** Edits {@code dir/config.json}. */
  public static void editConfig(Path dir, Consumer<ObjectNode> edit) {
    try {
      Path config = dir.resolve("config.json");
      ObjectNode node = (ObjectNode) Json.MAPPER.readTree(Files.readAllBytes(config));
      edit.accept(node);
      Files.writeString(config, node.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Converts an F32 tensor to F16 (IEEE half, round to nearest even) or BF16 (round to nearest
   * even).
   */
  public static SafetensorsWriter.Tensor narrow(SafetensorsWriter.Tensor tensor, DType to) {
    ByteBuffer in = tensor.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int count = in.remaining() / 4;
    ByteBuffer out = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      float value = in.getFloat(i * 4);
      out.putShort((short) (to == DType.F16 ? toHalf(value) : toBfloat16(value)));
    }
    return new SafetensorsWriter.Tensor(tensor.name(), to, tensor.shape(), out.flip());
  }

  private static int toBfloat16(float value) {
    int bits = Float.floatToIntBits(value);
    return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
  }

  private static int toHalf(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
    int mantissa = bits & 0x7FFFFF;
    if (exponent <= 0) {
      if (exponent < -10) {
        return sign;
      }
      mantissa |= 0x800000;
      int shift = 14 - exponent;
      int half = mantissa >> shift;
      int remainder = mantissa & ((1 << shift) - 1);
      int midpoint = 1 << (shift - 1);
      if (remainder > midpoint || (remainder == midpoint && (half & 1) == 1)) {
        half++;
      }
      return sign | half;
    }
    if (exponent >= 31) {
      return sign | 0x7C00;
    }
    int half = sign | (exponent << 10) | (mantissa >> 13);
    int remainder = mantissa & 0x1FFF;
    if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return half;
  }

  /** The same tensor under another name. */
  public static SafetensorsWriter.Tensor rename(SafetensorsWriter.Tensor tensor, String name) {
    return new SafetensorsWriter.Tensor(name, tensor.dtype(), tensor.shape(), tensor.data());
  }

  /** Largest absolute difference between two logit tables of the same shape. */
  public static double maxAbsDifference(float[][] a, float[][] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      for (int c = 0; c < a[i].length; c++) {
        worst = Math.max(worst, Math.abs(a[i][c] - b[i][c]));
      }
    }
    return worst;
  }

  /** Whether a tensor holds F32 weights that may be narrowed. */
  public static boolean isFloat32(SafetensorsWriter.Tensor tensor) {
    return tensor.dtype() == DType.F32;
  }
}
