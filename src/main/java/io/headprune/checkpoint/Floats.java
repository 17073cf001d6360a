package io.headprune.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Widening of stored floating-point weights to float32 (exact for F16 and BF16). */
public final class Floats {

  private Floats() {}

  /** A direct little-endian float32 copy of {@code data}, stored as {@code dtype}. */
  public static ByteBuffer toFloat32(ByteBuffer data, DType dtype) {
    ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int count = in.remaining() / dtype.bytes();
    ByteBuffer out = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.LITTLE_ENDIAN);
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
    return out.flip();
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
