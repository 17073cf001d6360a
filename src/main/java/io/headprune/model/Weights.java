package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.Floats;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Loads checkpoint tensors as float32 arrays, checking every name and shape. */
final class Weights {

  private final Checkpoint checkpoint;
  private final NDManager manager;
  private final String prefix;
  private final Scratch scratch;
  private long parameters;

  Weights(Checkpoint checkpoint, NDManager manager, String prefix) {
    this(checkpoint, manager, prefix, null);
  }

  /**
   * Loads whose widening goes through {@code scratch} (a streamed model's layers, loaded again and
   * again): each tensor is widened into the reused buffer and copied into memory the engine owns,
   * so that no buffer per tensor waits for the garbage collector.
   */
  Weights(Checkpoint checkpoint, NDManager manager, String prefix, Scratch scratch) {
    this.checkpoint = checkpoint;
    this.manager = manager;
    this.prefix = prefix;
    this.scratch = scratch;
  }

  /**
   * A direct buffer reused for widening, grown to the largest tensor; one loader at a time (a
   * model's layers load on the thread that runs them).
   */
  static final class Scratch {

    private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

    synchronized ByteBuffer atLeast(long bytes) {
      if (buffer.capacity() < bytes) {
        buffer = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
      }
      return buffer;
    }
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
      throw new InvalidInputException(
          "checkpoint is missing weight '" + key + "' " + Arrays.toString(shape));
    }
    if (!Arrays.equals(info.shape(), shape)) {
      throw new InvalidInputException(
          "weight '"
              + key
              + "' has shape "
              + info.shapeText()
              + ", expected "
              + Arrays.toString(shape));
    }
    if (!info.dtype().isFloat() || info.dtype() == DType.F64) {
      throw new InvalidInputException(
          "weight '" + key + "' has dtype " + info.dtype() + "; weights must be F32, F16 or BF16");
    }
    parameters += info.elements();
    if (checkpoint.isDataless()) {
      return null; // checked and counted; a dataless model is described, never run
    }
    if (info.dtype() == DType.F32 && !manager.getDevice().isGpu()) {
      // float32 on the CPU: the tensor is the file's page-cache pages, mapped read-only (nothing
      // writes to a weight in place), so the weights are neither read up front nor held twice
      return manager.create(checkpoint.fileOf(key).bytes(key), new Shape(shape), DataType.FLOAT32);
    }
    if (scratch != null) {
      synchronized (scratch) {
        ByteBuffer floats =
            Floats.toFloat32(checkpoint.fileOf(key), info, scratch.atLeast(info.elements() * 4));
        NDArray created = manager.create(floats, new Shape(shape), DataType.FLOAT32);
        if (manager.getDevice().isGpu()) {
          return created; // already the device's copy of the host buffer
        }
        try (NDArray view = created) {
          return view.duplicate(); // on the CPU it aliased the scratch, which is reused next
        }
      }
    }
    ByteBuffer floats = Floats.toFloat32(checkpoint.fileOf(key), info);
    return manager.create(floats, new Shape(shape), DataType.FLOAT32);
  }

  /** The manager (and so the device) the weights load onto. */
  NDManager manager() {
    return manager;
  }

  /** Number of elements loaded so far. */
  long parameters() {
    return parameters;
  }
}
