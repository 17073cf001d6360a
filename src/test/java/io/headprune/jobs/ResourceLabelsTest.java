package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.checkpoint.Json;
import io.headprune.problem.InvalidInputException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Labels as stored and filtered, and a JSON merge patch of a name and labels (RFC 7396). */
class ResourceLabelsTest {

  @Test
  void labelsAreCheckedSortedAndStoredAsAJsonObject() {
    Map<String, String> labels = ResourceLabels.parse("{\"run\":\"2041\",\"team\":\"nlp\"}");
    assertThat(ResourceLabels.json(labels)).isEqualTo("{\"run\":\"2041\",\"team\":\"nlp\"}");
    assertThat(ResourceLabels.read(ResourceLabels.json(labels))).isEqualTo(labels);
    assertThat(ResourceLabels.parse(null)).isEmpty();
    assertThat(ResourceLabels.selector(List.of("team=nlp", "note=a=b")))
        .containsEntry("team", "nlp")
        .containsEntry("note", "a=b");
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i <= ResourceLabels.MAX; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    assertThatThrownBy(() -> ResourceLabels.parse(many + "}"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("33 labels, at most 32");
    assertThatThrownBy(() -> ResourceLabels.parse("{\"a\": \"x\\ny\"}"))
        .hasMessageContaining("none a control character");
    assertThatThrownBy(() -> ResourceLabels.parse("{not json"))
        .hasMessageContaining("labels must be a JSON object of strings");
  }

  @Test
  void aMergePatchSetsRemovesAndRefusesByName() {
    Catalog.Described current = new Catalog.Described("base", Map.of("team", "nlp", "run", "1"));
    Catalog.Described patched =
        Catalog.patched(
            "model",
            current,
            Json.MAPPER.readTree("{\"labels\": {\"run\": null, \"stage\": \"prod\"}}"));
    assertThat(patched.name()).isEqualTo("base");
    assertThat(patched.labels())
        .containsExactly(Map.entry("stage", "prod"), Map.entry("team", "nlp"));
    Catalog.Described cleared =
        Catalog.patched(
            "model", current, Json.MAPPER.readTree("{\"name\": null, \"labels\": null}"));
    assertThat(cleared.name()).isNull();
    assertThat(cleared.labels()).isEmpty();
    assertThatThrownBy(
            () -> Catalog.patched("model", current, Json.MAPPER.readTree("{\"sha256\": \"x\"}")))
        .hasMessageContaining("'sha256' cannot be changed: only name and labels can");
    assertThatThrownBy(
            () -> Catalog.patched("model", current, Json.MAPPER.readTree("{\"name\": \" x\"}")))
        .hasMessageContaining("name must be 1 to 128");
    assertThatThrownBy(() -> Catalog.patched("model", current, Json.MAPPER.readTree("[]")))
        .hasMessageContaining("a JSON merge patch");
  }

  @Test
  void contentUploadedAgainKeepsWhatItHasAndTakesWhatItLacks() {
    Catalog.Described given = new Catalog.Described("new", Map.of("run", "2"));
    assertThat(new Catalog.Described(null, Map.of()).keptOver(given)).isEqualTo(given);
    assertThat(new Catalog.Described("old", Map.of()).keptOver(given))
        .isEqualTo(new Catalog.Described("old", Map.of("run", "2")));
    assertThat(new Catalog.Described(null, Map.of("run", "1")).keptOver(given))
        .isEqualTo(new Catalog.Described("new", Map.of("run", "1")));
  }
}
