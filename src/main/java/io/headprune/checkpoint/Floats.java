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
    return toFloat32(file, info, ByteBuffer.allocateDirect((int) count * 4));
  }

  /**
   * {@link #toFloat32(SafetensorsFile, TensorInfo)} into {@code scratch} (at least 4 bytes an
   * element; reused by the caller): its first {@code 4 · elements} bytes, flipped.
   */
  public static ByteBuffer toFloat32(SafetensorsFile file, TensorInfo info, ByteBuffer scratch) {
    ByteBuffer out = scratch.clear().order(ByteOrder.LITTLE_ENDIAN);
    out.limit(Math.toIntExact(info.elements() * 4));
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

  /**
   * Multiplies {@code count} values stored as {@code dtype} from byte {@code offset} of {@code
   * data} (little-endian) by {@code factor}, in place: computed in float32 and rounded back to the
   * stored type to nearest, ties to even (so F32 holds the float32 product, F16/BF16 its nearest).
   */
  public static void scale(ByteBuffer data, DType dtype, int offset, int count, double factor) {
    ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float f = (float) factor;
    for (int i = 0; i < count; i++) {
      switch (dtype) {
        case F64 -> {
          int at = offset + i * 8;
          in.putDouble(at, in.getDouble(at) * factor);
        }
        case F32 -> {
          int at = offset + i * 4;
          in.putFloat(at, in.getFloat(at) * f);
        }
        case BF16 -> {
          int at = offset + i * 2;
          float value = Float.intBitsToFloat((in.getShort(at) & 0xFFFF) << 16) * f;
          in.putShort(at, floatToBfloat16(value));
        }
        case F16 -> {
          int at = offset + i * 2;
          in.putShort(at, floatToHalf(halfToFloat(in.getShort(at)) * f));
        }
        default -> throw new IllegalArgumentException("not a weight dtype: " + dtype);
      }
    }
  }

  /** float32 to bfloat16, to nearest with ties to even; NaN stays NaN. */
  static short floatToBfloat16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /**
   * float32 to IEEE 754 binary16, to nearest with ties to even, subnormals and overflow included.
   */
  static short floatToHalf(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xFF;
    int mantissa = bits & 0x7FFFFF;
    if (exponent == 0xFF) {
      return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0));
    }
    int unbiased = exponent - 127;
    if (unbiased > 15) {
      return (short) (sign | 0x7C00);
    }
    if (unbiased >= -14) {
      // normal: 10 mantissa bits kept of 23, rounding may carry into the exponent (and to infinity)
      int half = ((unbiased + 15) << 10) | (mantissa >>> 13);
      int rest = mantissa & 0x1FFF;
      if (rest > 0x1000 || rest == 0x1000 && (half & 1) == 1) {
        half++;
      }
      return (short) (sign | half);
    }
    if (unbiased < -25) {
      return (short) sign;
    }
    // subnormal: value = m × 2^-24 with m = full mantissa shifted
    int full = mantissa | 0x800000;
    int shift = -unbiased - 14 + 13; // 14..24
    int half = full >>> shift;
    int rest = full & ((1 << shift) - 1);
    int midpoint = 1 << (shift - 1);
    if (rest > midpoint || rest == midpoint && (half & 1) == 1) {
      half++;
    }
    return (short) (sign | half);
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
