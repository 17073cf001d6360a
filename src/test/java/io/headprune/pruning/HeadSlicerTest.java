package io.headprune.pruning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.DType;
import io.headprune.checkpoint.SafetensorsWriter;
import io.headprune.checkpoint.TensorInfo;
import io.headprune.model.HeadLayout;
import io.headprune.model.HeadLayout.Block;
import io.headprune.model.HeadLayout.LayerHeads;
import io.headprune.model.HeadLayout.Role;
import io.headprune.problem.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The slicer works from a layout alone, so the tensors of families that come next already cut
 * right: GPT-2's Conv1D {@code c_attn}, stored [in, out] with [q | k | v] column blocks, and
 * Llama's grouped-query k/v projections, whose heads each serve a group of query heads. Every
 * element of the synthetic tensors encodes its own coordinates, so a slice shows which survive.
 */
class HeadSlicerTest {

  /** Element value = 1000 · row + column. */
  private static ByteBuffer coordinates(int rows, int columns) {
    ByteBuffer data = ByteBuffer.allocate(rows * columns * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        data.putFloat(1000f * r + c);
      }
    }
    return data.flip();
  }

  private static float[] values(SafetensorsWriter.Tensor tensor) {
    ByteBuffer data = tensor.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[data.remaining() / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = data.getFloat(i * 4);
    }
    return out;
  }

  @Test
  void aFusedConv1dTensorLosesTheRemovedHeadsColumnsInEachOfItsThreeBlocks() {
    // GPT-2: hidden 4, 3 heads of size 2 → c_attn.weight is [4, 18] = [in, q(6) | k(6) | v(6)]
    HeadLayout.Tensor cAttn =
        new HeadLayout.Tensor(
            "h.0.attn.c_attn.weight",
            1,
            List.of(new Block(Role.QUERY, 3), new Block(Role.KEY, 3), new Block(Role.VALUE, 3)));
    LayerHeads layer = new LayerHeads(0, new int[] {0, 1, 2}, 3, 2, List.of(cAttn));
    TensorInfo info = new TensorInfo(cAttn.name(), DType.F32, new long[] {4, 18}, 0, 4 * 18 * 4);
    boolean[] removeHead1 = {false, true, false};

    boolean[][] drop = HeadSlicer.dropped(layer, cAttn, removeHead1, PruneMode.PHYSICAL);
    SafetensorsWriter.Tensor pruned =
        HeadSlicer.apply(info, coordinates(4, 18), cAttn, 2, drop, PruneMode.PHYSICAL);

    assertThat(pruned.shape()).containsExactly(4, 12);
    float[] row0 = Arrays.copyOf(values(pruned), 12);
    // q columns 0,1 and 4,5; k columns 6,7 and 10,11; v columns 12,13 and 16,17: head 1's 2,3 / 8,9
    // / 14,15 gone
    assertThat(row0).containsExactly(0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 16, 17);
    assertThat(values(pruned)[12]).isEqualTo(1000f); // row 1 starts where it should

    SafetensorsWriter.Tensor masked =
        HeadSlicer.apply(
            info,
            coordinates(4, 18),
            cAttn,
            2,
            HeadSlicer.dropped(layer, cAttn, removeHead1, PruneMode.MASKED),
            PruneMode.MASKED);
    float[] maskedRow = Arrays.copyOf(values(masked), 18);
    assertThat(maskedRow)
        .containsExactly(
            0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 16, 17); // only v zeroed
  }

  @Test
  void aConv1dOutputProjectionLosesTheRemovedHeadsRows() {
    // GPT-2 c_proj.weight is [in = heads × size, out]: heads on axis 0
    HeadLayout.Tensor cProj =
        new HeadLayout.Tensor("h.0.attn.c_proj.weight", 0, List.of(new Block(Role.OUTPUT, 3)));
    LayerHeads layer = new LayerHeads(0, new int[] {0, 1, 2}, 3, 2, List.of(cProj));
    TensorInfo info = new TensorInfo(cProj.name(), DType.F32, new long[] {6, 4}, 0, 6 * 4 * 4);
    boolean[] removeHead2 = {false, false, true};
    SafetensorsWriter.Tensor pruned =
        HeadSlicer.apply(
            info,
            coordinates(6, 4),
            cProj,
            2,
            HeadSlicer.dropped(layer, cProj, removeHead2, PruneMode.PHYSICAL),
            PruneMode.PHYSICAL);
    assertThat(pruned.shape()).containsExactly(4, 4);
    assertThat(values(pruned)[15]).isEqualTo(3003f); // rows 0–3 kept, 4–5 gone
  }

  @Test
  void groupedKeyValueHeadsGoOnlyWithTheirWholeGroupOfQueryHeads() {
    // Llama: 4 query heads, 2 key/value heads of size 2; query slots 0,1 read kv 0 and 2,3 read kv
    // 1
    HeadLayout.Tensor kProj =
        new HeadLayout.Tensor(
            "layers.0.self_attn.k_proj.weight", 0, List.of(new Block(Role.KEY, 2)));
    HeadLayout.Tensor qProj =
        new HeadLayout.Tensor(
            "layers.0.self_attn.q_proj.weight", 0, List.of(new Block(Role.QUERY, 4)));
    HeadLayout.Tensor oProj =
        new HeadLayout.Tensor(
            "layers.0.self_attn.o_proj.weight", 1, List.of(new Block(Role.OUTPUT, 4)));
    LayerHeads layer =
        new LayerHeads(0, new int[] {0, 1, 2, 3}, 2, 2, List.of(qProj, kProj, oProj));
    assertThat(layer.keyValueHeadOf(1)).isZero();
    assertThat(layer.keyValueHeadOf(2)).isEqualTo(1);

    boolean[] group1 = {false, false, true, true};
    TensorInfo k = new TensorInfo(kProj.name(), DType.F32, new long[] {4, 8}, 0, 4 * 8 * 4);
    SafetensorsWriter.Tensor keys =
        HeadSlicer.apply(
            k,
            coordinates(4, 8),
            kProj,
            2,
            HeadSlicer.dropped(layer, kProj, group1, PruneMode.PHYSICAL),
            PruneMode.PHYSICAL);
    assertThat(keys.shape()).containsExactly(2, 8);
    assertThat(values(keys)[8]).isEqualTo(1000f); // kv head 0's rows 0,1 kept

    TensorInfo q = new TensorInfo(qProj.name(), DType.F32, new long[] {8, 8}, 0, 8 * 8 * 4);
    SafetensorsWriter.Tensor queries =
        HeadSlicer.apply(
            q,
            coordinates(8, 8),
            qProj,
            2,
            HeadSlicer.dropped(layer, qProj, group1, PruneMode.PHYSICAL),
            PruneMode.PHYSICAL);
    assertThat(queries.shape()).containsExactly(4, 8);

    // the masked output keeps the shared key/value heads and zeroes the query heads' o_proj columns
    assertThat(
            HeadSlicer.dropped(
                layer, kProj, new boolean[] {true, false, false, false}, PruneMode.MASKED)[0])
        .containsExactly(false, false);
    assertThat(
            HeadSlicer.dropped(
                layer, oProj, new boolean[] {true, false, false, false}, PruneMode.MASKED)[0])
        .containsExactly(true, false, false, false);

    // half a group cannot be written as a smaller grouped model
    assertThatThrownBy(
            () ->
                HeadSlicer.dropped(
                    layer, kProj, new boolean[] {true, false, false, false}, PruneMode.PHYSICAL))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("share key/value head 0");
  }

  @Test
  void aTensorWhoseSizeDisagreesWithItsLayoutIsRefused() {
    HeadLayout.Tensor query =
        new HeadLayout.Tensor("q.weight", 0, List.of(new Block(Role.QUERY, 3)));
    LayerHeads layer = new LayerHeads(0, new int[] {0, 1, 2}, 3, 2, List.of(query));
    TensorInfo info = new TensorInfo("q.weight", DType.F32, new long[] {8, 4}, 0, 8 * 4 * 4);
    boolean[][] drop =
        HeadSlicer.dropped(layer, query, new boolean[] {true, false, false}, PruneMode.PHYSICAL);
    assertThatThrownBy(
            () -> HeadSlicer.apply(info, coordinates(8, 4), query, 2, drop, PruneMode.PHYSICAL))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("has 8 along axis 0 but its layout holds 6");
  }
}
