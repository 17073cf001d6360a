package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Widening of stored floating-point weights to float32 (exact for F16 and BF16). */
public final class Floats {

  private Floats() {}

  /** Chunk in which tensors are streamed from disk: 8 MiB. */
  static final int CHUNK = 8 << 20;

  /**
   * A direct little-endian float32 copy of tensor {@code name}, streamed from its file in chunks:
   * the only whole-tensor buffer is the result (which an NDArray then uses without copying).
   */
  public static ByteBuffer toFloat32(SafetensorsFile file, TensorInfo info) {
    long count = info.elements();
    if (count * 4 > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "tensor '"
              + info.name()
              + "' holds "
              + count
              + " elements; as float32 it must stay below 2 GiB");
    }
    ByteBuffer out = ByteBuffer.allocateDirect((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
    file.read(info.name(), CHUNK, chunk -> convert(chunk, info.dtype(), out));
    return out.flip();
  }

  /** Appends {@code in}'s values, stored as {@code dtype}, to {@code out} as float32. */
  private static void convert(ByteBuffer in, DType dtype, ByteBuffer out) {
    int count = in.remaining() / dtype.bytes();
    switch (dtype) {
      case F32 -> out.put(in);
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          out.putInt((in.getShort() & 0xFFFF) << 16);
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          out.putFloat(halfToFloat(in.getShort()));
        }
      }
      default -> throw new IllegalArgumentException("not a weight dtype: " + dtype);
    }
  }

  /** IEEE 754 binary16 to float32, subnormals, infinities and NaN included. */
  static float halfToFloat(short half) {
    int bits = half & 0xFFFF;
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1F;
    int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      float value = mantissa / 1024f / 16384f; // 2^-14 × m/1024
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }
}
