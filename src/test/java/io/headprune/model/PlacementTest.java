package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.headprune.checkpoint.Checkpoint;
import io.headprune.problem.InvalidInputException;
import io.headprune.support.Fixtures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How layers are placed across a job's devices: consecutive layers per device in order, balanced by
 * bytes within each device's capacity when resident, by count when streamed. The devices here are
 * names only (the logic never touches them), so GPUs are written as they would be on a node.
 */
class PlacementTest {

  private static final List<Device> FOUR =
      List.of(Device.gpu(0), Device.gpu(1), Device.gpu(2), Device.gpu(3));
  private static final List<Device> TWO = FOUR.subList(0, 2);

  @AfterEach
  void restoreBudget() {
    MemoryBudget.configure(null);
  }

  @Test
  void equalLayersOnEqualDevicesAreSplitEvenlyInOrder() {
    long[] layers = new long[32];
    Arrays.fill(layers, 10);
    Placement placement = Placement.resident(FOUR, caps(4, 1000), 0, layers, 0);
    assertThat(placement.layersPerDevice()).containsExactly(8, 8, 8, 8);
    assertThat(placement.of(0)).isEqualTo(Device.gpu(0));
    assertThat(placement.of(7)).isEqualTo(Device.gpu(0));
    assertThat(placement.of(8)).isEqualTo(Device.gpu(1));
    assertThat(placement.last()).isEqualTo(Device.gpu(3));
  }

  @Test
  void theEmbeddingsAndTheHeadCountOnTheFirstAndLastDevices() {
    long[] layers = new long[8];
    Arrays.fill(layers, 10);
    // 40 of embeddings on gpu0 and 40 of head on gpu1: half the layers beside each, 80 a device
    Placement placement = Placement.resident(TWO, caps(2, 1000), 40, layers, 40);
    assertThat(placement.layersPerDevice()).containsExactly(4, 4);
    Placement heavyHead = Placement.resident(TWO, caps(2, 1000), 0, layers, 60);
    assertThat(heavyHead.layersPerDevice()).containsExactly(7, 1);
  }

  @Test
  void aSmallDeviceTakesWhatFitsAndTheOthersTheRest() {
    long[] layers = new long[10];
    Arrays.fill(layers, 10);
    // gpu0 holds 3 layers only; gpu1 is large
    Placement placement = Placement.resident(TWO, new long[] {35, 1000}, 0, layers, 5);
    assertThat(placement.layersPerDevice()).containsExactly(3, 7);
    // a large first device and a small last one: the first keeps what the last cannot hold
    Placement uneven = Placement.resident(TWO, new long[] {1000, 25}, 0, layers, 5);
    assertThat(uneven.layersPerDevice()).containsExactly(8, 2);
    // a last device too small for anything: the first holds it all
    assertThat(Placement.resident(TWO, new long[] {1000, 1}, 0, layers, 5).layersPerDevice())
        .containsExactly(10, 0);
  }

  @Test
  void aModelBiggerThanTheDevicesTogetherIsNotPlacedResident() {
    long[] layers = new long[10];
    Arrays.fill(layers, 10);
    assertThat(Placement.resident(TWO, caps(2, 50), 0, layers, 1)).isNull();
    assertThat(Placement.resident(TWO, caps(2, 50), 60, layers, 0)).isNull();
    assertThat(Placement.resident(TWO, caps(2, 51), 0, layers, 1))
        .extracting(Placement::layersPerDevice)
        .isEqualTo(new int[] {5, 5});
  }

  @Test
  void streamedLayersAreDividedByCountTheFirstDevicesTakingTheRemainder() {
    assertThat(Placement.streamed(FOUR, 10).layersPerDevice()).containsExactly(3, 3, 2, 2);
    assertThat(Placement.streamed(TWO, 1).layersPerDevice()).containsExactly(1, 0);
    Placement one = Placement.single(Device.cpu(), 4);
    assertThat(one.layersPerDevice()).containsExactly(4);
    assertThat(one.first()).isEqualTo(one.last());
  }

  @Test
  void aPlacementOutOfOrderIsRefused() {
    assertThatThrownBy(() -> new Placement(TWO, new int[] {1, 0}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Placement(TWO, new int[] {0, 2}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void devicesJoinedByPlusAreOneJobsDevices() {
    Device both = Devices.parse("cpu+cpu");
    assertThat(both.getDevices()).containsExactly(Device.cpu(), Device.cpu());
    assertThat(Devices.parseList("cpu+cpu, cpu")).hasSize(2);
    assertThat(Devices.parse("cpu").getDevices()).containsExactly(Device.cpu());
    assertThatThrownBy(() -> Devices.parse("cpu+"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("join named devices with +");
    assertThatThrownBy(() -> Devices.parse("auto+cpu"))
        .hasMessageContaining("join named devices with +");
  }

  @Test
  void aCheckpointsModulesArePlacedByItsTensorsAndCpuEntriesShareTheBudget() {
    try (Checkpoint checkpoint = Models.open(Fixtures.resource("fixtures/tiny-llama-gqa"))) {
      int count = checkpoint.config().layers();
      MemoryBudget.Modules modules = MemoryBudget.Modules.of(checkpoint, count);
      long total =
          MemoryBudget.residentBytes(
              checkpoint.tensors().values().stream().mapToLong(t -> t.elements()).sum());
      boolean tied = checkpoint.tensors().keySet().stream().noneMatch(n -> n.contains("lm_head"));
      assertThat(
              modules.embeddings()
                  + Arrays.stream(modules.layers()).sum()
                  + modules.head()
                  - (tied ? modules.embeddings() : 0))
          .isCloseTo(total, within((long) checkpoint.tensors().size())); // rounded per tensor
      assertThat(modules.layers()).doesNotContain(0L);

      List<Device> cpus = Devices.parse("cpu+cpu").getDevices();
      MemoryBudget.configure("10GB");
      assertThat(MemoryBudget.capacities(cpus)).containsExactly(5L << 30, 5L << 30);
      Placement resident = Models.placement(checkpoint, Devices.parse("cpu+cpu"), false);
      assertThat(resident.layersPerDevice()).doesNotContain(0);
      assertThat(Arrays.stream(resident.layersPerDevice()).sum()).isEqualTo(count);

      // half the model's resident bytes per CPU entry: it cannot be resident, so its layers stream
      MemoryBudget.configure(Long.toString(total / 2));
      assertThat(Models.residentPlacement(checkpoint, cpus)).isNull();
      assertThat(Models.placement(checkpoint, Devices.parse("cpu+cpu"), false))
          .isEqualTo(Placement.streamed(cpus, count));
    }
  }

  private static long[] caps(int n, long each) {
    long[] caps = new long[n];
    Arrays.fill(caps, each);
    return caps;
  }
}
