package io.headprune.pruning;

import io.headprune.checkpoint.Floats;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.HeadLayout;
import io.headprune.model.HeadLayout.Block;
import io.headprune.model.HeadLayout.LayerHeads;
import io.headprune.model.HeadLayout.Role;
import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Removes or zeroes heads in one tensor, as raw bytes (so every dtype keeps its exact bits), from
 * the tensor's {@link HeadLayout.Tensor} description: the tensor is read as (outer, axis, inner)
 * around its head axis, and along that axis each block is a run of heads of {@code headSize}.
 */
final class HeadSlicer {

  private HeadSlicer() {}

  /**
   * Which units of each block go, given the query head slots that go. Query and output units are
   * query heads. A key/value unit goes when every query head that reads it goes; in a physical
   * pruning a key/value head still read by a kept query head next to a removed one cannot be
   * expressed and is refused. A masked output zeroes the output columns of the removed heads, and
   * their value rows when each value head serves one query head.
   */
  static boolean[][] dropped(
      LayerHeads layer, HeadLayout.Tensor tensor, boolean[] queryDropped, PruneMode mode) {
    List<Block> blocks = tensor.blocks();
    boolean[][] drop = new boolean[blocks.size()][];
    for (int b = 0; b < blocks.size(); b++) {
      Block block = blocks.get(b);
      drop[b] = new boolean[block.heads()];
      boolean query = block.role() == Role.QUERY || block.role() == Role.OUTPUT;
      int expected = query ? queryDropped.length : layer.keyValueHeads();
      if (block.heads() != expected) {
        throw new IllegalStateException(
            tensor.name()
                + ": a "
                + block.role()
                + " block of "
                + block.heads()
                + " heads in a layer of "
                + queryDropped.length
                + " query and "
                + layer.keyValueHeads()
                + " key/value heads");
      }
      if (mode == PruneMode.MASKED && (block.role() == Role.QUERY || block.role() == Role.KEY)) {
        continue;
      }
      if (query) {
        System.arraycopy(queryDropped, 0, drop[b], 0, queryDropped.length);
        continue;
      }
      boolean grouped = layer.keyValueHeads() < queryDropped.length;
      if (mode == PruneMode.MASKED && grouped) {
        continue; // a shared value head stays; the query heads' output columns are zeroed instead
      }
      for (int unit = 0; unit < block.heads(); unit++) {
        drop[b][unit] = groupDropped(layer, queryDropped, unit, tensor.name());
      }
    }
    return drop;
  }

  private static boolean groupDropped(
      LayerHeads layer, boolean[] queryDropped, int keyValueHead, String tensor) {
    int removed = 0;
    int members = 0;
    for (int slot = 0; slot < queryDropped.length; slot++) {
      if (layer.keyValueHeadOf(slot) == keyValueHead) {
        members++;
        removed += queryDropped[slot] ? 1 : 0;
      }
    }
    if (removed != 0 && removed != members) {
      throw new InvalidInputException(
          "layer "
              + layer.layer()
              + ": removing "
              + removed
              + " of the "
              + members
              + " query heads that share key/value head "
              + keyValueHead
              + " ("
              + tensor
              + ") cannot be written as a "
              + "smaller model; remove whole groups (uniform-groups selection) or use the masked output");
    }
    return removed == members;
  }

  /**
   * A copy of {@code data} whose output-projection units (the {@link Role#OUTPUT} blocks: query
   * heads' columns) are multiplied by their query slot's scale, in the tensor's own dtype; the
   * other blocks are copied as they are. This folds a rescaling into a stock checkpoint.
   */
  static ByteBuffer scaled(
      TensorInfo info, ByteBuffer data, HeadLayout.Tensor tensor, int headSize, double[] scales) {
    long[] shape = info.shape();
    int axis = tensor.axis();
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= shape[i];
    }
    long innerElements = 1;
    for (int i = axis + 1; i < shape.length; i++) {
      innerElements *= shape[i];
    }
    int unitElements = Math.toIntExact(headSize * innerElements);
    int unitBytes = unitElements * info.dtype().bytes();
    ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    out.put(data.duplicate()).flip();
    int offset = 0;
    for (long o = 0; o < outer; o++) {
      for (Block block : tensor.blocks()) {
        for (int unit = 0; unit < block.heads(); unit++) {
          if (block.role() == Role.OUTPUT && scales[unit] != 1) {
            Floats.scale(out, info.dtype(), offset, unitElements, scales[unit]);
          }
          offset += unitBytes;
        }
      }
    }
    return out;
  }

  /** Keeps (physical) or zeroes (masked) the units {@code drop} marks. */
  static SafetensorsWriter.Tensor apply(
      TensorInfo info,
      ByteBuffer data,
      HeadLayout.Tensor tensor,
      int headSize,
      boolean[][] drop,
      PruneMode mode) {
    long[] shape = info.shape();
    int axis = tensor.axis();
    if (axis >= shape.length) {
      throw new InvalidInputException(
          "tensor '" + info.name() + "' has no axis " + axis + " to hold heads");
    }
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= shape[i];
    }
    long inner = info.dtype().bytes();
    for (int i = axis + 1; i < shape.length; i++) {
      inner *= shape[i];
    }
    long laid = tensor.blocks().stream().mapToLong(Block::heads).sum() * headSize;
    if (shape[axis] != laid) {
      throw new InvalidInputException(
          "tensor '"
              + info.name()
              + "' has "
              + shape[axis]
              + " along axis "
              + axis
              + " but its layout holds "
              + laid
              + " (heads × head size)");
    }
    int unitBytes = Math.toIntExact(headSize * inner);
    if (mode == PruneMode.MASKED) {
      ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      out.put(data.duplicate()).flip();
      forEachUnit(
          outer,
          drop,
          unitBytes,
          (offset, dropped) -> {
            if (dropped) {
              out.put(offset, new byte[unitBytes]);
            }
          });
      return new SafetensorsWriter.Tensor(info.name(), info.dtype(), shape, out);
    }
    long kept = 0;
    for (boolean[] block : drop) {
      for (boolean d : block) {
        kept += d ? 0 : 1;
      }
    }
    ByteBuffer out =
        ByteBuffer.allocate(Math.toIntExact(outer * kept * unitBytes))
            .order(ByteOrder.LITTLE_ENDIAN);
    forEachUnit(
        outer,
        drop,
        unitBytes,
        (offset, dropped) -> {
          if (!dropped) {
            out.put(data.slice(offset, unitBytes));
          }
        });
    long[] newShape = shape.clone();
    newShape[axis] = kept * headSize;
    return new SafetensorsWriter.Tensor(info.name(), info.dtype(), newShape, out.flip());
  }

  private interface UnitVisitor {
    void visit(int offset, boolean dropped);
  }

  /** Visits every head unit in storage order: outer index, then block, then unit. */
  private static void forEachUnit(
      long outer, boolean[][] drop, int unitBytes, UnitVisitor visitor) {
    int offset = 0;
    for (long o = 0; o < outer; o++) {
      for (boolean[] block : drop) {
        for (boolean dropped : block) {
          visitor.visit(offset, dropped);
          offset += unitBytes;
        }
      }
    }
  }
}
