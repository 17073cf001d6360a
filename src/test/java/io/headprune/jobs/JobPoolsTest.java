package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import org.junit.jupiter.api.Test;

class JobPoolsTest {

  @Test
  void aJobGoesToItsPoolsTaskAndAnUnservedPoolIsRefused() {
    JobPools pools = JobPools.of("cpu, gpu", "", "gpu");
    assertThat(pools.defaultPool()).isEqualTo("cpu");
    assertThat(pools.check(null)).isEqualTo("cpu");
    assertThat(pools.check("gpu")).isEqualTo("gpu");
    assertThatThrownBy(() -> pools.check("tpu"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("pool 'tpu' is not one of this service's worker pools [cpu, gpu]");
    // the default pool keeps the task name every job had before pools
    assertThat(JobPools.task("default").getTaskName()).isEqualTo("prune-job");
    assertThat(JobPools.task("gpu").getTaskName()).isEqualTo("prune-job@gpu");
  }

  @Test
  void settingsThatCannotWorkAreRefusedAtStart() {
    assertThatThrownBy(() -> JobPools.of("cpu", "gpu", "cpu"))
        .hasMessageContaining("headprune.jobs.default-pool 'gpu' is not among");
    assertThatThrownBy(() -> JobPools.of("cpu,GPU", "", "cpu")).hasMessageContaining("'GPU'");
    assertThatThrownBy(() -> JobPools.of("cpu", "", "gpu@x")).hasMessageContaining("gpu@x");
  }
}
