package io.headprune.pruning;

import io.headprune.scoring.Metric;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
   */
  record Provenance(
      String baseModel,
      String baseModelCommit,
      String madeBy,
      java.util.Map<String, String> inputs,
      java.time.Instant startedAt) {}

  static void write(
      Path dir,
      Path source,
      Provenance provenance,
      PruneReport report,
      PruneOptions options,
      String kind,
      Map<String, String> versions)
      throws IOException {
    StringBuilder card = new StringBuilder();
    card.append("---\n");
    card.append("base_model: ").append(yaml(provenance.baseModel())).append('\n');
    if (provenance.baseModelCommit() != null) {
      card.append("base_model_revision: ").append(yaml(provenance.baseModelCommit())).append('\n');
    }
    card.append("library_name: transformers\n");
    card.append("tags:\n- pruning\n- headprune\n");
    String license = license(source);
    if (license != null) {
      card.append("license: ").append(yaml(license)).append('\n');
    }
    card.append("---\n\n");
    PruneReport.Artifact artifact = report.artifact();
    int total = report.model().heads();
    card.append(
        String.format(
            Locale.ROOT,
            "# %s with %d of %d attention heads pruned%n%n",
            provenance.baseModel(),
            artifact.prunedHeads().length,
            total));
    card.append(
        kind.equals("pruned")
            ? "The pruned heads' weights are removed: the model is smaller and faster.\n\n"
            : "The pruned heads' value and output weights are zeroed; shapes are unchanged, so any "
                + "`transformers` version loads it.\n\n");
    card.append(
        String.format(
            Locale.ROOT,
            "Made by headprune with the **%s** criterion%s at sparsity "
                + "%.2f (%s selection), scored over %d seed(s) of %d calibration examples; α = %s (%s).%n%n",
            artifact.criterion(),
            artifact.criterion().equals("hies") ? " (HIES = α·norm(HIS) + (1−α)·(1−norm(AE)))" : "",
            artifact.sparsity(),
            artifact.selection(),
            report.data().seeds(),
            report.data().calibrationPerSeed(),
            format(report.alpha().value()),
            report.alpha().explanation()));
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
    report.summary().stream()
        .filter(
            row ->
                row.criterion().equals(artifact.criterion())
                    && row.sparsity() == artifact.sparsity())
        .findFirst()
        .ifPresent(
            row ->
                card.append(
                    String.format(
                        Locale.ROOT,
                        "| pruned (%s at %.2f, mean ± std over %d seed(s)) | %.4f ± %.4f |%n",
                        row.criterion(),
                        row.sparsity(),
                        report.data().seeds(),
                        row.mean(),
                        row.std())));
    if (report.target().meanMetric() != null) {
      card.append(
          String.format(
              Locale.ROOT,
              "| pruned (target search: %s) | %.4f |%n",
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
    } catch (IOException | java.io.UncheckedIOException e) {
      return null; // an unreadable card has no license to copy
    }
    return null;
  }

  private static String yaml(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String format(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
