package io.headprune.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.headprune.checkpoint.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The deployment files parse and agree with each other and with the app: compose, Dockerfile, and
 * the Helm chart (values validated against values.schema.json; templates rendered by {@code helm
 * template} when helm is on PATH).
 */
class DeploymentFilesTest {

  private static final Path CHART = Path.of("helm/headprune");

  private static Object yaml(Path file) throws IOException {
    return new Yaml(new LoaderOptions()).load(Files.readString(file));
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeDefinesPostgresApiAndWorkerWithTheAppsSettings() throws IOException {
    Map<String, Object> compose = (Map<String, Object>) yaml(Path.of("docker-compose.yml"));
    Map<String, Map<String, Object>> services =
        (Map<String, Map<String, Object>>) compose.get("services");
    assertThat(services).containsKeys("postgres", "api", "worker", "worker-gpu");
    assertThat((String) services.get("postgres").get("image")).startsWith("postgres:16");
    assertThat(services.get("postgres")).containsKey("healthcheck");
    Map<String, String> api = (Map<String, String>) services.get("api").get("environment");
    Map<String, String> worker = (Map<String, String>) services.get("worker").get("environment");
    assertThat(api).containsEntry("HEADPRUNE_ROLE", "api").containsKey("SPRING_DATASOURCE_URL");
    assertThat(worker)
        .containsEntry("HEADPRUNE_ROLE", "worker")
        .containsKey("SPRING_DATASOURCE_URL");
    Map<String, Map<String, String>> dependsOn =
        (Map<String, Map<String, String>>) services.get("worker").get("depends_on");
    assertThat(dependsOn.get("postgres")).containsEntry("condition", "service_healthy");
    assertThat((List<String>) services.get("worker-gpu").get("profiles")).containsExactly("gpu");
    assertThat(services.get("api").get("ports").toString()).contains("8080:8080");
  }

  @Test
  void dockerfileRunsAsNonRootOfflineWithAHealthcheckOnActuator() throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    assertThat(dockerfile)
        .contains("DJL_OFFLINE=true")
        .contains("DJL_CACHE_DIR=")
        .contains("USER headprune")
        .contains("HEALTHCHECK")
        .contains("/actuator/health/liveness")
        .contains("ARG VARIANT=cpu")
        .contains("nvidia/cuda:12.8")
        .contains("-Pcuda")
        .contains("-Djarmode=tools -jar target/headprune.jar extract")
        .contains("-XX:ArchiveClassesAtExit=/app/headprune.jsa")
        .contains(
            "ENTRYPOINT [\"java\", \"-XX:SharedArchiveFile=/app/headprune.jsa\", \"-jar\","
                + " \"/app/headprune.jar\"]");
    assertThat(Files.readString(Path.of(".dockerignore"))).contains("target/");
    String pom = Files.readString(Path.of("pom.xml"));
    assertThat(pom).contains("<id>cuda</id>").contains("pytorch-native-cu128");
  }

  @Test
  void chartYamlParsesAndValuesMatchTheirSchema() throws IOException {
    assertThat(yaml(CHART.resolve("Chart.yaml"))).asString().contains("headprune");
    JsonNode values = Json.MAPPER.valueToTree(yaml(CHART.resolve("values.yaml")));
    var schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(Json.MAPPER.readTree(Files.readString(CHART.resolve("values.schema.json"))));
    List<Error> errors = schema.validate(values);
    assertThat(errors).isEmpty();
    ((ObjectNode) values.get("workers").get("gpu")).put("devices", "tpu0");
    assertThat(schema.validate(values)).as("the schema rejects a bad device list").isNotEmpty();
  }

  @Test
  void everyValueATemplateReadsExistsInValuesYaml() throws IOException {
    JsonNode values = Json.MAPPER.valueToTree(yaml(CHART.resolve("values.yaml")));
    Pattern reference = Pattern.compile("\\.Values((?:\\.[A-Za-z][A-Za-z0-9]*)+)");
    Set<String> missing = new TreeSet<>();
    try (var templates = Files.walk(CHART.resolve("templates"))) {
      for (Path template : templates.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(template);
        assertThat(count(text, "{{")).as(template + " braces").isEqualTo(count(text, "}}"));
        Matcher matcher = reference.matcher(text);
        while (matcher.find()) {
          JsonNode node = values;
          for (String key : matcher.group(1).substring(1).split("\\.")) {
            node = node == null ? null : node.get(key);
          }
          if (node == null) {
            missing.add(template.getFileName() + ": .Values" + matcher.group(1));
          }
        }
      }
    }
    assertThat(missing).isEmpty();
  }

  @Test
  void probesUseTheActuatorGroupsTheAppServes() throws IOException {
    String helpers = Files.readString(CHART.resolve("templates/_helpers.tpl"));
    String application = Files.readString(Path.of("src/main/resources/application.yml"));
    assertThat(helpers)
        .contains("/actuator/health/liveness")
        .contains("/actuator/health/readiness");
    assertThat(application).contains("liveness:").contains("readiness:").contains("probes:");
    String configMap = Files.readString(CHART.resolve("templates/configmap.yaml"));
    assertThat(configMap).contains("SPRING_DATASOURCE_URL").contains("HEADPRUNE_DATA_DIR");
    String workers = Files.readString(CHART.resolve("templates/worker-deployment.yaml"));
    assertThat(workers)
        .contains("HEADPRUNE_ROLE")
        .contains("value: worker")
        .contains("HEADPRUNE_WORKER_DEVICES")
        .contains("terminationGracePeriodSeconds");
  }

  private static int count(String text, String token) {
    int count = 0;
    for (int i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length())) {
      count++;
    }
    return count;
  }
}
