package io.headprune.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.headprune.checkpoint.Json;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.util.FileSystemUtils;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart as shipped, rendered by Helm itself (its Go library, through helm-java: no helm binary
 * needed) over the default values and the two example values files: it lints clean (strict), its
 * values schema refuses a misspelt key at any level, every manifest passes Kubernetes' schemas (the
 * kubernetes-models validators, generated from Kubernetes' OpenAPI, and KEDA's and the Prometheus
 * Operator's CRDs: types, enums, required fields) and every pod meets the {@code restricted} Pod
 * Security Standard.
 */
class HelmChartTest {

  private static final Path CHART = Path.of("helm/headprune");

  /** The validators, from npm at pinned versions (tested here). */
  private static final List<String> VALIDATORS =
      List.of(
          "kubernetes-models@5.1.0",
          "@kubernetes-models/keda@2.0.0",
          "@kubernetes-models/prometheus-operator@6.0.0");

  private static final String VALIDATE =
      """
      import { readFileSync } from "node:fs";
      const docs = JSON.parse(readFileSync(0, "utf8"));
      for (const doc of docs) {
        const [group, version] = doc.apiVersion.includes("/")
            ? doc.apiVersion.split("/") : [null, doc.apiVersion];
        const module = group === "keda.sh"
            ? `@kubernetes-models/keda/keda.sh/${version}/${doc.kind}`
            : group === "monitoring.coreos.com"
            ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${doc.kind}`
            : `kubernetes-models/${group ? group + "/" : ""}${version}/${doc.kind}`;
        const name = `${doc.kind}/${doc.metadata?.name}`;
        try {
          const Model = (await import(module))[doc.kind];
          new Model(doc).validate();
          console.log("valid " + name);
        } catch (e) {
          console.log("invalid " + name + ": " + e.message);
        }
      }
      """;

  /** What {@code helm install} would need beside the chart: the database's password. */
  private static final String PASSWORD = "database.password";

  private static TemplateCommand template(String values) {
    return template(CHART, values);
  }

  private static TemplateCommand template(Path chart, String values) {
    TemplateCommand template = new Helm(chart).template().withName("hp");
    return values.isEmpty()
        ? template.set(PASSWORD, "example")
        : template.withValuesFile(Path.of(values));
  }

  /**
   * The manifests {@code helm template} renders, the {@code helm test} pod included: Helm's
   * template leaves hooks out, so the chart is rendered from a copy whose test hooks lack only
   * their hook annotations (the pod itself rendered by Helm as the release would have it).
   */
  private static List<Map<String, Object>> render(String values) {
    String yaml = template(withTestsAsManifests(), values).call();
    List<Map<String, Object>> documents = new ArrayList<>();
    for (Object document : new Yaml(new LoaderOptions()).loadAll(yaml)) {
      if (document != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> manifest = (Map<String, Object>) document;
        documents.add(manifest);
      }
    }
    return documents;
  }

  @Test
  void theChartLintsCleanStrictly() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "helm/examples/gpu-pool.yaml", "helm/examples/external-database-tls.yaml"})
  void everyManifestPassesKubernetesSchemasAndEveryPodIsRestricted(String values)
      throws IOException, InterruptedException {
    List<Map<String, Object>> manifests = render(values);
    assertThat(manifests).extracting(m -> m.get("kind")).contains("Deployment", "Service", "Pod");
    for (Map<String, Object> manifest : manifests) {
      Map<String, Object> pod = podSpec(manifest);
      if (pod != null) {
        assertThat(PodSecurity.restrictedViolations(pod))
            .as(manifest.get("kind") + " " + name(manifest))
            .isEmpty();
      }
    }
    if (onPath("npm") && onPath("node")) { // .ci/run installs Node.js, so CI never skips this
      assertThat(kubernetesSchemaVerdicts(manifests))
          .hasSize(manifests.size())
          .allSatisfy(verdict -> assertThat(verdict).startsWith("valid "));
    }
  }

  @Test
  void theValidatorsCatchWhatTheyShould() throws IOException, InterruptedException {
    if (!(onPath("npm") && onPath("node"))) {
      return;
    }
    Map<String, Object> deployment =
        render("").stream().filter(m -> "Deployment".equals(m.get("kind"))).findFirst().get();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
    spec.put("replicas", "two");
    assertThat(kubernetesSchemaVerdicts(List.of(deployment)))
        .singleElement()
        .asString()
        .startsWith("invalid")
        .contains("replicas");
    Map<String, Object> pod = podSpec(deployment);
    pod.put("securityContext", Map.of("runAsNonRoot", true));
    assertThat(PodSecurity.restrictedViolations(pod))
        .anySatisfy(v -> assertThat(v).contains("seccomp"));
  }

  @Test
  void aMisspeltValueIsRefusedAtAnyLevel() {
    for (String key :
        List.of("api.replica", "persistence.sise", "workers.cpu.keda.enable", "tops")) {
      assertThatThrownBy(() -> template("").set(key, "1").call())
          .as(key)
          .hasMessageContaining("additional properties");
    }
  }

  @Test
  void whatTheChartNowOffers() {
    List<Map<String, Object>> defaults = render("");
    // ReadWriteOnce by default, every pod kept on the volume's node
    assertThat(find(defaults, "PersistentVolumeClaim", "hp-headprune-artifacts").toString())
        .contains("ReadWriteOnce");
    assertThat(podSpec(find(defaults, "Deployment", "hp-headprune-api")).toString())
        .contains("podAffinity")
        .contains("kubernetes.io/hostname");
    // the helm test pod has the restricted seccomp profile
    assertThat(podSpec(find(defaults, "Pod", "hp-headprune-test-readiness")).toString())
        .contains("seccompProfile={type=RuntimeDefault}");
    List<Map<String, Object>> external = render("helm/examples/external-database-tls.yaml");
    assertThat(find(external, "Ingress", "hp-headprune").toString())
        .contains("nginx.ingress.kubernetes.io/proxy-body-size=0");
    String api = find(external, "Deployment", "hp-headprune-api").toString();
    assertThat(api)
        .contains("nodeSelector={node-pool=services}")
        .contains("example.com/team=ml-platform")
        .contains("/etc/headprune/database-ca")
        .contains("secretName=headprune-db-ca");
    List<Map<String, Object>> gpu = render("helm/examples/gpu-pool.yaml");
    assertThat(find(gpu, "Deployment", "hp-headprune-worker-gpu").toString())
        .contains("value=gpu0+gpu1")
        .contains("{name=HEADPRUNE_WORKER_POOL, value=gpu}")
        .doesNotContain("podAffinity"); // ReadWriteMany: free to spread
    // each pool's workers take its jobs only, and KEDA scales a pool on its own jobs
    assertThat(find(gpu, "ConfigMap", "hp-headprune").toString())
        .contains("HEADPRUNE_JOBS_POOLS=cpu,gpu")
        .contains("HEADPRUNE_JOBS_DEFAULT_POOL=cpu");
    assertThat(find(gpu, "ScaledObject", "hp-headprune-worker-gpu").toString())
        .contains("AND pool = 'gpu'");
    assertThatThrownBy(() -> template("").set("jobs.defaultPool", "tpu").call())
        .hasMessageContaining("must name one of workers' pools");
  }

  private static Path withTestsAsManifests() {
    try {
      Path copy = Path.of("target", "helm-chart-with-tests", "headprune");
      FileSystemUtils.deleteRecursively(copy.getParent());
      FileSystemUtils.copyRecursively(CHART, copy);
      try (var tests = Files.list(copy.resolve("templates/tests"))) {
        for (Path test : tests.toList()) {
          Files.writeString(
              test, Files.readString(test).replaceAll("(?m)^\\s*\"helm\\.sh/hook[^\n]*\n", ""));
        }
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> find(
      List<Map<String, Object>> manifests, String kind, String name) {
    return manifests.stream()
        .filter(m -> kind.equals(m.get("kind")) && name.equals(name(m)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static String name(Map<String, Object> manifest) {
    return String.valueOf(((Map<?, ?>) manifest.get("metadata")).get("name"));
  }

  /** The pod spec of a Pod or of a workload's pod template; null for other kinds. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> podSpec(Map<String, Object> manifest) {
    Map<String, Object> spec = (Map<String, Object>) manifest.get("spec");
    if ("Pod".equals(manifest.get("kind"))) {
      return spec;
    }
    if (spec != null && spec.get("template") instanceof Map<?, ?> template) {
      return (Map<String, Object>) template.get("spec");
    }
    return null;
  }

  /** What the Kubernetes models' validators say of each manifest: "valid …" or "invalid …: why". */
  private static List<String> kubernetesSchemaVerdicts(List<Map<String, Object>> manifests)
      throws IOException, InterruptedException {
    Path dir = Path.of("target", "kubernetes-models").toAbsolutePath();
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("validate.mjs"), VALIDATE);
    if (!Files.isDirectory(dir.resolve("node_modules/@kubernetes-models/keda"))) {
      List<String> install = new ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund"));
      install.addAll(VALIDATORS);
      Process npm =
          new ProcessBuilder(install).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(npm.waitFor(5, TimeUnit.MINUTES)).isTrue();
      assertThat(npm.exitValue()).as(out).isZero();
    }
    Process node =
        new ProcessBuilder("node", "validate.mjs")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    node.getOutputStream().write(Json.MAPPER.writeValueAsBytes(manifests));
    node.getOutputStream().close();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(node.exitValue()).as(out).isZero();
    return out.lines().toList();
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, command).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
