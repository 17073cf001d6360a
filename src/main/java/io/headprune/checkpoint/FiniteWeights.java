package io.headprune.checkpoint;

import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;

/**
 * Refuses a checkpoint with a NaN or infinite weight: every score of such a model is NaN, and a
 * selection made from NaN is arbitrary. Every element of every floating-point tensor is read once,
 * in chunks (about a second per GB here), by its exponent bits: all ones is NaN or ±∞ in each
 * format.
 */
public final class FiniteWeights {

  private static final int CHUNK = 1 << 20;

  private FiniteWeights() {}

  /** Reads every floating-point weight of {@code checkpoint}; refuses the first non-finite one. */
  public static void check(Checkpoint checkpoint) {
    for (SafetensorsFile file : checkpoint.files()) {
      for (TensorInfo tensor : file.tensors().values()) {
        if (!tensor.dtype().isFloat()) {
          continue;
        }
        long[] at = {0};
        file.read(
            tensor.name(),
            CHUNK,
            chunk -> {
              Deadline.check("reading the weights of " + tensor.name());
              int bad = firstNonFinite(tensor.dtype(), chunk);
              if (bad >= 0) {
                throw new InvalidInputException(
                    "weight '"
                        + tensor.name()
                        + "' holds NaN or an infinity (element "
                        + (at[0] + bad)
                        + " of "
                        + tensor.elements()
                        + "): such a model scores NaN; headprune refuses it");
              }
              at[0] += chunk.remaining() / tensor.dtype().bytes();
            });
      }
    }
  }

  /** The index of the first non-finite element of {@code chunk}, or -1. */
  static int firstNonFinite(DType dtype, ByteBuffer chunk) {
    int count = chunk.remaining() / dtype.bytes();
    int base = chunk.position();
    switch (dtype) {
      case F32 -> {
        for (int i = 0; i < count; i++) {
          if ((chunk.getInt(base + 4 * i) & 0x7f80_0000) == 0x7f80_0000) {
            return i;
          }
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          if ((chunk.getShort(base + 2 * i) & 0x7f80) == 0x7f80) {
            return i;
          }
        }
      }
      case F16 -> {
        for (int i = 0; i < count; i++) {
          if ((chunk.getShort(base + 2 * i) & 0x7c00) == 0x7c00) {
            return i;
          }
        }
      }
      case F64 -> {
        for (int i = 0; i < count; i++) {
          if ((chunk.getLong(base + 8 * i) & 0x7ff0_0000_0000_0000L) == 0x7ff0_0000_0000_0000L) {
            return i;
          }
        }
      }
      default -> {
        return -1;
      }
    }
    return -1;
  }
}
