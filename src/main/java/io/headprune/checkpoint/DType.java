package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;

/** The safetensors element types headprune reads; floats are computed as F32. */
public enum DType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** True for the floating-point types a weight may be stored in. */
  public boolean isFloat() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /** Parses a safetensors dtype name, naming the tensor when the name is unknown. */
  public static DType parse(String name, String tensor) {
    for (DType type : values()) {
      if (type.name().equals(name)) {
        return type;
      }
    }
    throw new InvalidInputException(
        "safetensors: tensor '" + tensor + "' has unknown dtype '" + name + "'");
  }
}
