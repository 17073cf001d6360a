package io.headprune.pruning;

import io.headprune.scoring.Metric;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The model card ({@code README.md}) of a pruned or masked model: the Hub's YAML header ({@code
 * base_model}, {@code library_name}, {@code tags}, the source's {@code license}), what was pruned
 * per layer, with which criterion, α, sparsity and seeds, the metric before and after, and the
 * versions and the command or job that made it — enough to reproduce it.
 */
final class ModelCard {

  private ModelCard() {}

  /**
   * Where a run's model came from and what made it.
   *
   * @param baseModel a Hub id ({@code org/name}), {@code sha256:<hex>} of an upload, or a local
   *     directory's name
   * @param baseModelCommit the Hub commit, or null
   * @param madeBy the command line or job that made it
   * @param request the job request that repeats the run, or null
   * @param inputs SHA-256 of the data, by role
   * @param startedAt when the run started
   * @param datasets the Hub dataset repositories ({@code org/name}) the run read
   * @param evaluation the evaluation data: its Hub repository or its name; null for a held-out part
   *     of the calibration data
   */
  record Provenance(
      String baseModel,
      String baseModelCommit,
      String madeBy,
      Map<String, Object> request,
      Map<String, String> inputs,
      Instant startedAt,
      List<String> datasets,
      String evaluation) {}

  static void write(
      Path dir,
      Path source,
      Provenance provenance,
      PruneReport report,
      PruneOptions options,
      String kind,
      Map<String, String> versions)
      throws IOException {
    PruneReport.Artifact artifact = report.artifact();
    String title = title(provenance.baseModel());
    String pipeline = pipelineTag(report.model().architecture());
    StringBuilder card = new StringBuilder();
    card.append("---\n")
        .append(header(provenance, report, source, title, pipeline))
        .append("---\n\n");
    int total = report.model().heads();
    card.append(
        String.format(
            Locale.ROOT,
            "# %s with %d of %d attention heads pruned%n%n",
            title,
            artifact.prunedHeads().length,
            total));
    card.append(kind.equals("pruned") ? sizeAndSpeed(report) : MASKED).append("\n\n");
    card.append(
        String.format(
            Locale.ROOT,
            "Made by headprune with the **%s** criterion%s at sparsity "
                + "%s (%s selection), scored over %d seed(s) of %d calibration examples; α = %s (%s).%n%n",
            artifact.criterion(),
            artifact.criterion().equals("hies") ? " (HIES = α·norm(HIS) + (1−α)·(1−norm(AE)))" : "",
            plain(artifact.sparsity()),
            artifact.selection(),
            report.data().seeds(),
            report.data().calibrationPerSeed(),
            format(report.alpha().value()),
            report.alpha().explanation()));
    if (artifact.plainMetric() != null) {
      card.append(
          String.format(
              Locale.ROOT,
              "Recovery: each kept head's output-projection columns are multiplied by a scale fitted"
                  + " by least squares (ridge toward 1), layer by layer, to reconstruct the"
                  + " unpruned model's attention output on the calibration examples — no"
                  + " retraining; the checkpoint keeps the stock shapes and config. On the"
                  + " evaluation data: %s %.4f rescaled, %.4f without.%n%n",
              report.metric(),
              artifact.metric(),
              artifact.plainMetric()));
    }
    card.append("## Pruned heads\n\n| layer | heads removed | heads kept |\n|---|---|---|\n");
    Map<Integer, List<Integer>> byLayer = new TreeMap<>();
    for (int[] head : artifact.prunedHeads()) {
      byLayer.computeIfAbsent(head[0], l -> new ArrayList<>()).add(head[1]);
    }
    int[] perLayer = report.model().headsPerLayer();
    for (int layer = 0; layer < perLayer.length; layer++) {
      List<Integer> removed = byLayer.getOrDefault(layer, List.of());
      card.append(
          String.format(
              Locale.ROOT,
              "| %d | %s | %d of %d |%n",
              layer,
              removed.isEmpty() ? "—" : removed.toString().replaceAll("[\\[\\]]", ""),
              perLayer[layer] - removed.size(),
              perLayer[layer]));
    }
    card.append("\n## Evaluation\n\n");
    String metric = report.metric();
    card.append(
        String.format(
            Locale.ROOT,
            "On %d %s examples (%s), %s:%n%n| model | %s |%n|---|---|%n",
            report.data().evaluation(),
            report.data().evaluationSource(),
            Metric.parse(metric).higherIsBetter() ? "higher is better" : "lower is better",
            metric,
            metric));
    card.append(String.format(Locale.ROOT, "| unpruned | %.4f |%n", report.dense().value()));
    card.append(
        String.format(
            Locale.ROOT,
            "| **this model** (its own head set; agreement with the unpruned model %.4f) | **%.4f** |%n",
            artifact.agreement(),
            artifact.metric()));
    if (artifact.seeds() != null) {
      card.append(
          String.format(
              Locale.ROOT,
              "| the seeds' own head sets (%s at %s, mean ± std over %d seed(s); not this model's"
                  + " heads) | %.4f ± %.4f |%n",
              artifact.criterion(),
              plain(artifact.sparsity()),
              artifact.seeds().count(),
              artifact.seeds().mean(),
              artifact.seeds().std()));
    }
    if (report.target().meanMetric() != null) {
      card.append(
          String.format(
              Locale.ROOT,
              "| the seeds' head sets in the target search (%s) | %.4f |%n",
              report.target().reason(),
              report.target().meanMetric()));
    }
    card.append(
        "\nEvery criterion at every sparsity, per seed, is in the run's `report.json`.\n\n");
    card.append("## Reproduce\n\n");
    card.append("Made by: `").append(provenance.madeBy()).append("`\n\n");
    card.append(
        String.format(
            Locale.ROOT,
            "Options: criteria %s, sparsities %s, seeds %d, calibration "
                + "size %s, max length %d, batch size %d, normalisation %s, at least %d head(s) per layer.%n%n",
            options.criteria().stream().map(c -> c.id()).toList(),
            options.sparsities(),
            options.seeds(),
            options.calibrationSize() == null ? "the whole pool" : options.calibrationSize(),
            options.maxLength(),
            options.batchSize(),
            options.normalization().name().toLowerCase(Locale.ROOT),
            options.minHeadsPerLayer()));
    card.append("Versions: ");
    card.append(
        String.join(
            ", ", versions.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList()));
    card.append(".\n");
    Files.writeString(dir.resolve("README.md"), card.toString(), StandardCharsets.UTF_8);
  }

  private static final String MASKED =
      "The pruned heads' value and output weights are zeroed; shapes are unchanged, so any "
          + "`transformers` version loads it.";

  /**
   * What physical pruning gained, as measured: fewer parameters always; "faster" only when the
   * measured latency says so, with the number.
   */
  static String sizeAndSpeed(PruneReport report) {
    PruneReport.Speedup speedup = report.speedup();
    if (speedup == null) {
      return "The pruned heads' weights are removed.";
    }
    String size =
        String.format(
            Locale.ROOT,
            "The pruned heads' weights are removed: %,d → %,d parameters, attention FLOPs ÷ %.2f.",
            speedup.parametersBefore(),
            speedup.parametersAfter(),
            speedup.flopsRatio());
    Double ratio = speedup.latencyRatio();
    if (ratio == null) {
      return size + " Latency was not measured.";
    }
    return size
        + (ratio > 1
            ? String.format(
                Locale.ROOT,
                " Measured on the evaluation examples it ran %.2f× as fast as the unpruned model"
                    + " (%.2f ms vs %.2f ms a batch).",
                ratio,
                speedup.latencyPrunedMillis(),
                speedup.latencyDenseMillis())
            : String.format(
                Locale.ROOT,
                " Measured on the evaluation examples it was **not faster** than the unpruned"
                    + " model (latency ratio %.3f: %.2f ms vs %.2f ms a batch).",
                ratio,
                speedup.latencyPrunedMillis(),
                speedup.latencyDenseMillis()));
  }

  /** The card's title for a base model: a short hash for an unnamed upload. */
  static String title(String baseModel) {
    return baseModel.startsWith("sha256:") && baseModel.length() > 19
        ? "Model " + baseModel.substring(0, 19) + "…"
        : baseModel;
  }

  /** The Hub's pipeline tag of an architecture, or null when none fits. */
  static String pipelineTag(String architecture) {
    if (architecture.endsWith("ForImageClassification")) {
      return "image-classification";
    }
    if (architecture.endsWith("ForCausalLM") || architecture.endsWith("LMHeadModel")) {
      return "text-generation";
    }
    if (architecture.endsWith("ForSequenceClassification")) {
      return "text-classification";
    }
    return null;
  }

  /** The Hub's (evaluate library's) name of a metric. */
  static String hubMetric(String metric) {
    return switch (metric) {
      case "mcc" -> "matthews_correlation";
      case "pearson" -> "pearsonr";
      case "spearman" -> "spearmanr";
      default -> metric;
    };
  }

  /** The YAML header, written by SnakeYAML (quoting is its business). */
  private static String header(
      Provenance provenance, PruneReport report, Path source, String title, String pipeline) {
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("base_model", provenance.baseModel());
    if (provenance.baseModelCommit() != null) {
      header.put("base_model_revision", provenance.baseModelCommit());
    }
    header.put("library_name", "transformers");
    if (pipeline != null) {
      header.put("pipeline_tag", pipeline);
    }
    header.put("tags", List.of("pruning", "headprune"));
    String license = license(source);
    if (license != null) {
      header.put("license", license);
    }
    if (!provenance.datasets().isEmpty()) {
      header.put("datasets", provenance.datasets());
    }
    String metric = hubMetric(report.metric());
    header.put("metrics", List.of(metric));
    Map<String, Object> measured = new LinkedHashMap<>();
    measured.put("type", metric);
    measured.put("value", report.artifact().metric());
    measured.put("name", report.metric() + " of this pruned model");
    measured.put("verified", false);
    Map<String, Object> dataset = new LinkedHashMap<>();
    String evaluation = provenance.evaluation();
    dataset.put("name", evaluation == null ? "held-out part of the calibration data" : evaluation);
    dataset.put(
        "type",
        evaluation != null && provenance.datasets().contains(evaluation) ? evaluation : "custom");
    Map<String, Object> result = new LinkedHashMap<>();
    if (pipeline != null) {
      result.put("task", Map.of("type", pipeline));
    }
    result.put("dataset", dataset);
    result.put("metrics", List.of(measured));
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put(
        "name",
        String.format(
            Locale.ROOT,
            "%s with %d of %d attention heads pruned",
            title,
            report.artifact().prunedHeads().length,
            report.model().heads()));
    entry.put("results", List.of(result));
    header.put("model-index", List.of(entry));
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndicatorIndent(0);
    options.setWidth(1000);
    return new Yaml(options).dump(header);
  }

  /** A number as written: 0.125 as 0.125, 0.5 as 0.5. */
  private static String plain(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** The {@code license} of the source model's card (its YAML header), if it has one. */
  static String license(Path source) {
    Path readme = source.resolve("README.md");
    if (!Files.isRegularFile(readme)) {
      return null;
    }
    try {
      List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
      if (lines.isEmpty() || !lines.get(0).strip().equals("---")) {
        return null;
      }
      for (int i = 1; i < Math.min(lines.size(), 200) && !lines.get(i).strip().equals("---"); i++) {
        String line = lines.get(i);
        if (line.startsWith("license:")) {
          String value =
              line.substring("license:".length()).strip().replaceAll("^[\"']|[\"']$", "");
          return value.matches("[A-Za-z0-9._+-]{1,64}") ? value : null;
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return null; // an unreadable card has no license to copy
    }
    return null;
  }

  private static String format(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
