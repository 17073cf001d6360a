package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Loads checkpoint tensors as float32 arrays, checking every name and shape. */
final class Weights {

  private final Checkpoint checkpoint;
  private final NDManager manager;
  private final String prefix;
  private long parameters;

  Weights(Checkpoint checkpoint, NDManager manager, String prefix) {
    this.checkpoint = checkpoint;
    this.manager = manager;
    this.prefix = prefix;
  }

  /** True when the checkpoint holds {@code prefix + name}. */
  boolean has(String name) {
    return checkpoint.tensors().containsKey(prefix + name);
  }

  /** Loads {@code prefix + name}, which must have exactly {@code shape}. */
  NDArray load(String name, long... shape) {
    String key = prefix + name;
    TensorInfo info = checkpoint.tensors().get(key);
    if (info == null) {
      throw new InvalidInputException("checkpoint is missing weight '" + key + "' " + Arrays.toString(shape));
    }
    if (!Arrays.equals(info.shape(), shape)) {
      throw new InvalidInputException(
          "weight '" + key + "' has shape " + info.shapeText() + ", expected " + Arrays.toString(shape));
    }
    if (!info.dtype().isFloat() || info.dtype() == DType.F64) {
      throw new InvalidInputException(
          "weight '" + key + "' has dtype " + info.dtype() + "; weights must be F32, F16 or BF16");
    }
    ByteBuffer mapped = checkpoint.bytes(key);
    ByteBuffer copy = ByteBuffer.allocateDirect(mapped.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(mapped).flip();
    DataType stored =
        switch (info.dtype()) {
          case F16 -> DataType.FLOAT16;
          case BF16 -> DataType.BFLOAT16;
          default -> DataType.FLOAT32;
        };
    NDArray array = manager.create(copy, new Shape(shape), stored);
    parameters += info.elements();
    if (stored == DataType.FLOAT32) {
      return array;
    }
    NDArray widened = array.toType(DataType.FLOAT32, false);
    array.close();
    return widened;
  }

  /** Number of elements loaded so far. */
  long parameters() {
    return parameters;
  }
}
