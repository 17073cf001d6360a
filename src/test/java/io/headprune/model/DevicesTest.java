package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.headprune.problem.InvalidInputException;
import org.junit.jupiter.api.Test;

/** Device names through DJL's device API; on this CPU-only machine auto means the CPU. */
class DevicesTest {

  @Test
  void namesMapToDjlDevices() {
    assertThat(Devices.parse("cpu")).isEqualTo(Device.cpu());
    int gpus = Devices.engine().getGpuCount();
    assertThat(Devices.parse("auto")).isEqualTo(gpus > 0 ? Device.gpu(0) : Device.cpu());
    assertThat(Devices.parseList("auto")).hasSize(Math.max(1, gpus));
    assertThat(Devices.parseList("cpu, cpu")).containsExactly(Device.cpu(), Device.cpu());
  }

  @Test
  void aGpuThatIsNotThereAndUnknownNamesAreNamed() {
    int gpus = Devices.engine().getGpuCount();
    assertThatThrownBy(() -> Devices.parse("gpu" + gpus))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(gpus + " GPU(s) are visible");
    assertThatThrownBy(() -> Devices.parse("tpu0"))
        .hasMessageContaining("not one of auto, cpu, gpu0");
  }
}
