package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.sun.management.OperatingSystemMXBean;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.problem.InvalidInputException;
import io.headprune.support.Fixtures;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * What the memory budget decides: sizes read, a model's footprint, resident, streamed or refused.
 */
class MemoryBudgetTest {

  @Test
  void sizesAreBytesOrNumbersWithAUnit() {
    assertThat(MemoryBudget.parse("123")).isEqualTo(123);
    assertThat(MemoryBudget.parse("512MB")).isEqualTo(512L << 20);
    assertThat(MemoryBudget.parse("20gb")).isEqualTo(20L << 30);
    assertThat(MemoryBudget.parse("1.5T")).isEqualTo(3L << 39);
    assertThatThrownBy(() -> MemoryBudget.parse("lots"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("headprune.memory.budget 'lots' is not a size");
  }

  @Test
  void theFootprintCountsEveryTensorByLayer() {
    try (Checkpoint checkpoint = Models.open(Fixtures.resource("fixtures/tiny-llama-gqa"));
        HeadModel model = Models.load(checkpoint, Device.cpu())) {
      MemoryBudget.Footprint footprint = MemoryBudget.Footprint.of(checkpoint);
      assertThat(footprint.parameters()).isEqualTo(model.parameters());
      long layer0 =
          checkpoint.tensors().values().stream()
              .filter(t -> t.name().startsWith("model.layers.0."))
              .mapToLong(t -> t.elements())
              .sum();
      assertThat(footprint.largestLayer()).isEqualTo(layer0);
      assertThat(footprint.outsideLayers())
          .isEqualTo(footprint.parameters() - model.config().layers() * layer0);
    }
  }

  @Test
  void aModelIsResidentWhenItFitsStreamedWhenOnlyThatFitsElseRefusedWithTheFigures() {
    // 7 B-shaped: 32 layers of 218 M, 262 M outside them
    MemoryBudget.Footprint big =
        new MemoryBudget.Footprint(7_242_000_000L, 218_103_808, 262_148_096);
    assertThat(big.resident()).isGreaterThan(24L << 30);
    assertThat(big.streamed()).isLessThan(6L << 30);
    assertThat(new MemoryBudget(64L << 30).residency(big, true))
        .isEqualTo(MemoryBudget.Residency.RESIDENT);
    assertThat(new MemoryBudget(16L << 30).residency(big, true))
        .isEqualTo(MemoryBudget.Residency.STREAMED);
    assertThatThrownBy(() -> new MemoryBudget(2L << 30).residency(big, true))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("39.1 GB with every layer resident")
        .hasMessageContaining("4.9 GB with its layers streamed")
        .hasMessageContaining("headprune.memory.budget 2.1 GB");
    assertThatThrownBy(() -> new MemoryBudget(16L << 30).residency(big, false))
        .hasMessageContaining("its family does not stream");
  }

  @Test
  void loadingChoosesByTheBudget() {
    try (Checkpoint checkpoint = Models.open(Fixtures.resource("fixtures/tiny-llama-gqa"))) {
      MemoryBudget.Footprint footprint = MemoryBudget.Footprint.of(checkpoint);
      try (HeadModel resident =
          Models.load(checkpoint, Device.cpu(), new MemoryBudget(footprint.resident()))) {
        assertThat(resident.streaming()).isNull();
      }
      // a small model's working memory exceeds its weights: it never streams by choice
      assertThatThrownBy(
              () ->
                  Models.load(checkpoint, Device.cpu(), new MemoryBudget(footprint.resident() - 1)))
          .hasMessageContaining("with its layers streamed");
      try (HeadModel streamed = Models.loadStreamed(checkpoint, Device.cpu())) {
        assertThat(streamed.streaming()).isNotNull();
        assertThat(streamed.parameters()).isEqualTo(footprint.parameters());
      }
    }
    try (Checkpoint bert = Models.open(Fixtures.resource("fixtures/tiny-bert-order"))) {
      assertThatThrownBy(() -> Models.load(bert, Device.cpu(), new MemoryBudget(1)))
          .hasMessageContaining("its family does not stream");
    }
  }

  @Test
  void theMachineDefaultLeavesAMarginAndTheHeap() {
    long budget = MemoryBudget.machine().bytes();
    long total =
        ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    assertThat(budget).isPositive().isLessThanOrEqualTo(total - Runtime.getRuntime().maxMemory());
  }

  @Test
  void aJobHoldsWhatItsModelTakesWithinTheBudgetItRunsIn() {
    MemoryBudget.Footprint big =
        new MemoryBudget.Footprint(7_242_000_000L, 218_103_808, 262_148_096);
    assertThat(new MemoryBudget(64L << 30, 0).reservation(big, true)).isEqualTo(big.resident());
    assertThat(new MemoryBudget(16L << 30, 1L << 30).reservation(big, true))
        .as("streamed, with its working reserve")
        .isEqualTo(big.streamed() + (1L << 30));
    assertThat(new MemoryBudget(16L << 30, 0).reservation(big, false))
        .as("a family that cannot stream")
        .isEqualTo(big.resident());
    try {
      MemoryBudget.configureStream("always");
      assertThat(new MemoryBudget(64L << 30, 0).reservation(big, true)).isEqualTo(big.streamed());
      MemoryBudget.configureStream("never");
      assertThat(new MemoryBudget(16L << 30, 0).reservation(big, true)).isEqualTo(big.resident());
    } finally {
      MemoryBudget.configureStream(null);
    }
  }
}
