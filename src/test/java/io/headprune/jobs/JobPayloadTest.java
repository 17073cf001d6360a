package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Json;
import io.headprune.problem.InvalidInputException;
import io.headprune.pruning.Recovery;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * A queued job's options survive an upgrade: read back identically, strictly, with a schema
 * version.
 */
class JobPayloadTest {

  private static JobRequest normalized() {
    JobRequest request =
        Json.MAPPER.readValue(
            """
        {"model": {"id": "%s"}, "calibration": {"id": "%s"}, "alpha": "auto", "alphaBy": "metric",
         "sparsities": [0.1, 0.5], "target": {"maxMetricDrop": 0.02}, "seeds": 3, "selection": "iterative",
         "recovery": "rescale"}
        """
                .formatted(UUID.randomUUID(), UUID.randomUUID()),
            JobRequest.class);
    return JobSpec.of(request).normalized();
  }

  @Test
  void whatThisVersionWritesIsReadBackIdentically() {
    JobRequest normalized = normalized();
    String stored = JobPayload.write(normalized);
    assertThat(Json.MAPPER.readTree(stored).get("schema").asInt()).isEqualTo(JobPayload.SCHEMA);
    assertThat(JobPayload.read(stored)).isEqualTo(normalized);
    // and the options it stands for are the same
    assertThat(JobSpec.of(JobPayload.read(stored)).options())
        .isEqualTo(JobSpec.of(normalized).options());
    assertThat(JobSpec.of(normalized).options().recovery()).isEqualTo(Recovery.RESCALE);
  }

  @Test
  void aPayloadStoredBeforeRecoveryExistedRunsWithoutIt() {
    JobRequest normalized = normalized();
    String stored =
        JobPayload.write(normalized).replaceAll(",\\s*\"recovery\"\\s*:\\s*\"rescale\"", "");
    assertThat(stored).doesNotContain("recovery");
    assertThat(JobSpec.of(JobPayload.read(stored)).options().recovery()).isEqualTo(Recovery.NONE);
  }

  @Test
  void aBareRequestOfSchemaOneIsStillRead() {
    JobRequest normalized = normalized();
    assertThat(JobPayload.read(Json.MAPPER.writeValueAsString(normalized))).isEqualTo(normalized);
  }

  @Test
  void anUnknownFieldOrANewerSchemaIsRefused() {
    String stored = JobPayload.write(normalized());
    String unknownField = stored.replaceFirst("\"seeds\"", "\"seedz\": 1, \"seeds\"");
    assertThatThrownBy(() -> JobPayload.read(unknownField))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("seedz");
    String unknownTop = stored.replaceFirst("\"schema\"", "\"priority\": 1, \"schema\"");
    assertThatThrownBy(() -> JobPayload.read(unknownTop))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("priority");
    String newer = stored.replaceFirst("\"schema\" ?: ?3", "\"schema\": 4");
    assertThat(newer).isNotEqualTo(stored);
    assertThatThrownBy(() -> JobPayload.read(newer))
        .isInstanceOf(JobPayload.Newer.class)
        .hasMessageContaining("schema 4")
        .hasMessageContaining("newer headprune");
  }

  @Test
  void aJobQueuedBySchemaTwoWithoutNameOrLabelsIsReadAsAsked() {
    JobRequest normalized = normalized();
    var tree = (ObjectNode) Json.MAPPER.readTree(JobPayload.write(normalized));
    tree.put("schema", 2);
    var request = (ObjectNode) tree.get("request");
    request.remove(List.of("name", "labels", "externalId"));
    String stored = Json.MAPPER.writeValueAsString(tree);
    assertThat(stored).doesNotContain("externalId");
    assertThat(JobSpec.of(JobPayload.read(stored)).options())
        .isEqualTo(JobSpec.of(normalized).options());
  }
}
