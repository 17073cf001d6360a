package io.headprune.pruning;

import io.headprune.scoring.HeadScore;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code report.html}: one self-contained page (inline SVG, CSS and a few lines of script; a
 * Content-Security-Policy that allows nothing from the network) with the layer × head heatmap of
 * HIES, HIS and AE (switchable, pruned heads marked, values on hover), the metric-vs-sparsity
 * curves per criterion with ±std bands and the unpruned line, Jaccard and agreement per sparsity,
 * the target decision, α explained in one sentence, and the speed-up.
 */
final class ReportPage {

  private ReportPage() {}

  private static final String[] COLOURS = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"
  };

  static String html(PruneReport report, ScoresDocument scores) {
    StringBuilder page = new StringBuilder();
    String title = escape(title(report));
    page.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
        .append("style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>")
        .append(title)
        .append("</title>\n<style>\n")
        .append(
            "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em;max-width:960px;color:#222}")
        .append(
            "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}svg{width:100%;height:auto}")
        .append(
            "table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:2px 6px;")
        .append("text-align:right}th{background:#f4f4f4}.cell{stroke:#fff;stroke-width:1}")
        .append(".pruned{stroke:#000;stroke-width:2.5}.band{opacity:.15}.dense{stroke:#555;")
        .append("stroke-dasharray:4 3}.note{color:#555}@media print{button{display:none}}")
        .append("button{margin-right:.4em}button.on{font-weight:bold}\n</style></head><body>\n");
    page.append("<h1>").append(title).append("</h1>\n");
    page.append("<p>")
        .append(escape(report.model().architecture()))
        .append(", ")
        .append(report.model().layers())
        .append(" layers, ")
        .append(report.model().heads())
        .append(" heads, ")
        .append(report.model().parameters())
        .append(" parameters. Data: ")
        .append(report.data().calibrationPerSeed())
        .append(" calibration examples per seed, ")
        .append(report.data().seeds())
        .append(" seed(s), ")
        .append(report.data().evaluation())
        .append(" evaluation examples (")
        .append(escape(report.data().evaluationSource()))
        .append("). Unpruned ")
        .append(escape(report.metric()))
        .append(": ")
        .append(number(report.dense().value()))
        .append(".</p>\n");
    artifact(page, report);
    heatmap(page, report, scores);
    curves(page, report);
    stability(page, report);
    calibrations(page, report);
    recovery(page, report);
    decisions(page, report);
    page.append("</body></html>\n");
    return page.toString();
  }

  private static void heatmap(StringBuilder page, PruneReport report, ScoresDocument scores) {
    Set<List<Integer>> pruned = new HashSet<>();
    for (int[] head : report.artifact().prunedHeads()) {
      pruned.add(List.of(head[0], head[1]));
    }
    int layers = report.model().layers();
    int width = Arrays.stream(report.model().headsPerLayer()).max().orElse(1);
    int cell = 28;
    page.append("<h2>Heads</h2>\n<p>")
        .append("<button data-metric=\"hies\" class=\"on\">HIES</button>")
        .append("<button data-metric=\"his\">HIS (normalised)</button>")
        .append("<button data-metric=\"ae\">AE (normalised)</button>")
        .append(
            " <span class=\"note\">layer × head; darker is more important; a black border marks ")
        .append("a pruned head; hover for values</span></p>\n");
    page.append(
        String.format(
            Locale.ROOT,
            "<svg id=\"heatmap\" viewBox=\"0 0 %d %d\" style=\"max-width:%dpx\" role=\"img\""
                + " aria-label=\"head scores\">%n",
            60 + width * cell + 110,
            Math.max(40 + layers * cell, 150),
            (60 + width * cell + 110) * 2));
    page.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">head</text>",
            60 + width * cell / 2,
            34 + layers * cell));
    colourScale(page, 60 + width * cell + 16, 20);
    for (int h = 0; h < width; h++) {
      page.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"14\" font-size=\"10\" text-anchor=\"middle\">%d</text>",
              60 + h * cell + cell / 2,
              h));
    }
    for (int l = 0; l < layers; l++) {
      page.append(
          String.format(
              Locale.ROOT,
              "<text x=\"4\" y=\"%d\" font-size=\"10\">layer %d</text>",
              24 + l * cell + cell / 2 + 4,
              l));
    }
    for (HeadScore head : scores.heads()) {
      boolean off = pruned.contains(List.of(head.layer(), head.head()));
      page.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"cell%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                  + "data-hies=\"%s\" data-his=\"%s\" data-ae=\"%s\"><title>layer %d head %d%s: HIES %s, "
                  + "HIS %s (normalised %s), AE %s (normalised %s)</title></rect>%n",
              off ? " pruned" : "",
              60 + head.head() * cell,
              20 + head.layer() * cell,
              cell - 2,
              cell - 2,
              colour(head.hies()),
              number(head.hies()),
              number(head.hisNorm()),
              number(1 - head.entropyNorm()),
              head.layer(),
              head.head(),
              off ? " (pruned)" : "",
              number(head.hies()),
              number(head.his()),
              number(head.hisNorm()),
              number(head.entropy()),
              number(head.entropyNorm())));
    }
    page.append("</svg>\n<script>\n")
        .append("function shade(v){var t=Math.max(0,Math.min(1,v));")
        .append("return 'rgb('+Math.round(255-t*200)+','+Math.round(255-t*150)+',255)';}\n")
        .append("document.querySelectorAll('button[data-metric]').forEach(function(b){")
        .append("b.addEventListener('click',function(){var m=b.getAttribute('data-metric');")
        .append(
            "document.querySelectorAll('button[data-metric]').forEach(function(o){o.className=o===b?'on':'';});")
        .append("document.querySelectorAll('#heatmap .cell').forEach(function(c){")
        .append("c.setAttribute('fill',shade(parseFloat(c.getAttribute('data-'+m))));});});});\n")
        .append("</script>\n");
  }

  /** The legend of the heatmap's colours: a bar from 0 (white) to 1 (blue), 0.25 apart. */
  private static void colourScale(StringBuilder page, int x, int y) {
    page.append(String.format(Locale.ROOT, "<g id=\"colour-scale\" aria-label=\"colour scale\">"));
    int steps = 20;
    int height = 100;
    for (int i = 0; i < steps; i++) {
      double value = 1 - (double) i / (steps - 1);
      page.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"%s\"/>",
              x,
              y + (double) height * i / steps,
              (double) height / steps + 0.5,
              colour(value)));
    }
    for (double tick : new double[] {1, 0.75, 0.5, 0.25, 0}) {
      page.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" font-size=\"9\">%s</text>",
              x + 18,
              y + height * (1 - tick) + 3,
              plain(tick)));
    }
    page.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"9\">score (1: most</text>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"9\">important)</text></g>%n",
            x,
            y + height + 14,
            x,
            y + height + 25));
  }

  /** The fill of a score in [0, 1]: white to blue. */
  static String colour(double value) {
    double t = Math.max(0, Math.min(1, Double.isFinite(value) ? value : 0));
    return String.format(
        Locale.ROOT, "rgb(%d,%d,255)", Math.round(255 - t * 200), Math.round(255 - t * 150));
  }

  private static void curves(StringBuilder page, PruneReport report) {
    Map<String, List<PruneReport.SummaryRow>> byCriterion = new LinkedHashMap<>();
    for (PruneReport.SummaryRow row : report.summary()) {
      byCriterion.computeIfAbsent(row.criterion(), c -> new ArrayList<>()).add(row);
    }
    double dense = report.dense().value();
    double low = dense;
    double high = dense;
    double maxSparsity = 0;
    for (PruneReport.SummaryRow row : report.summary()) {
      low = Math.min(low, row.mean() - row.std());
      high = Math.max(high, row.mean() + row.std());
      maxSparsity = Math.max(maxSparsity, row.sparsity());
    }
    if (Double.isFinite(report.artifact().metric())
        && report.artifact().sparsity() <= maxSparsity) {
      low = Math.min(low, report.artifact().metric());
      high = Math.max(high, report.artifact().metric());
    }
    if (high - low < 1e-9) {
      high = low + 1;
    }
    double x0 = 50;
    double x1 = 590;
    double y0 = 20;
    double y1 = 260;
    double top = high;
    double bottom = low;
    double right = maxSparsity == 0 ? 1 : maxSparsity;
    DoubleUnaryOperator x = s -> x0 + (x1 - x0) * s / right;
    DoubleUnaryOperator y = v -> y1 - (y1 - y0) * (v - bottom) / (top - bottom);
    page.append("<h2>")
        .append(escape(report.metric()))
        .append(" by sparsity</h2>\n")
        .append(
            "<p class=\"note\">mean over the seeds' head sets, shaded ±1 std; dashed: the"
                + " unpruned model; ◆: the artifact you download, measured on its own head set</p>\n")
        .append(
            "<svg id=\"curves\" viewBox=\"0 0 720 300\" role=\"img\" aria-label=\"metric curves\">\n");
    page.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                + "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>%n",
            x0,
            y1,
            x1,
            y1,
            x0,
            y0,
            x0,
            y1));
    page.append(
        String.format(
            Locale.ROOT,
            "<text x=\"46\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>"
                + "<text x=\"46\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>%n",
            y0 + 4,
            number(top),
            y1,
            number(bottom)));
    page.append(
        String.format(
            Locale.ROOT,
            "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" font-size=\"11\""
                + " text-anchor=\"middle\">sparsity (share of heads pruned)</text>"
                + "<text class=\"axis-title\" x=\"12\" y=\"%.1f\" font-size=\"11\""
                + " text-anchor=\"middle\" transform=\"rotate(-90 12 %.1f)\">%s</text>%n",
            (x0 + x1) / 2,
            y1 + 32,
            (y0 + y1) / 2,
            (y0 + y1) / 2,
            escape(report.metric())));
    page.append(
        String.format(
            Locale.ROOT,
            "<line class=\"dense\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>%n",
            x0,
            y.applyAsDouble(dense),
            x1,
            y.applyAsDouble(dense)));
    int i = 0;
    for (Map.Entry<String, List<PruneReport.SummaryRow>> entry : byCriterion.entrySet()) {
      String colour = COLOURS[i % COLOURS.length];
      List<PruneReport.SummaryRow> rows = entry.getValue();
      StringBuilder line = new StringBuilder();
      StringBuilder upper = new StringBuilder();
      StringBuilder lower = new StringBuilder();
      for (PruneReport.SummaryRow row : rows) {
        double px = x.applyAsDouble(row.sparsity());
        line.append(line.length() == 0 ? "M" : " L")
            .append(String.format(Locale.ROOT, "%.1f %.1f", px, y.applyAsDouble(row.mean())));
        upper.append(
            String.format(Locale.ROOT, "%.1f,%.1f ", px, y.applyAsDouble(row.mean() + row.std())));
        lower.insert(
            0,
            String.format(Locale.ROOT, "%.1f,%.1f ", px, y.applyAsDouble(row.mean() - row.std())));
      }
      page.append(
          String.format(
              Locale.ROOT,
              "<polygon class=\"band\" fill=\"%s\" points=\"%s%s\"/>%n",
              colour,
              upper,
              lower));
      page.append(
          String.format(
              Locale.ROOT,
              "<path class=\"curve\" data-criterion=\"%s\" d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\">"
                  + "<title>%s</title></path>%n",
              escape(entry.getKey()),
              line,
              colour,
              escape(entry.getKey())));
      page.append(
          String.format(
              Locale.ROOT,
              "<text x=\"600\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>%n",
              30 + 16 * i,
              colour,
              escape(entry.getKey())));
      i++;
    }
    for (PruneReport.SummaryRow row :
        report.summary().stream()
            .filter(r -> r.criterion().equals(report.summary().get(0).criterion()))
            .toList()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">%s</text>",
              x.applyAsDouble(row.sparsity()),
              y1 + 14,
              plain(row.sparsity())));
    }
    PruneReport.Artifact artifact = report.artifact();
    if (artifact.sparsity() <= right + 1e-9 && Double.isFinite(artifact.metric())) {
      double ax = x.applyAsDouble(artifact.sparsity());
      double ay = y.applyAsDouble(Math.max(bottom, Math.min(top, artifact.metric())));
      page.append(
          String.format(
              Locale.ROOT,
              "<path class=\"artifact\" d=\"M%.1f %.1f l6 6 l-6 6 l-6 -6 z\" fill=\"#000\">"
                  + "<title>the artifact (its own head set): %s %s at sparsity %s</title></path>"
                  + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">artifact</text>%n",
              ax,
              ay - 6,
              escape(report.metric()),
              digits(report.metric(), artifact.metric()),
              plain(artifact.sparsity()),
              ax + 8,
              ay - 8));
    }
    page.append("\n</svg>\n");
  }

  private static void stability(StringBuilder page, PruneReport report) {
    page.append(
            "<h2>Stability across seeds</h2>\n<table><tr><th>criterion</th><th>sparsity</th><th>")
        .append(escape(report.metric()))
        .append(
            " mean ± std</th><th>agreement with unpruned</th><th>Jaccard of pruned sets</th></tr>\n");
    for (PruneReport.SummaryRow row : report.summary()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%s</td><td>%s ± %s</td><td>%s</td><td>%s</td></tr>%n",
              escape(row.criterion()),
              plain(row.sparsity()),
              digits(report.metric(), row.mean()),
              digits(report.metric(), row.std()),
              number(row.agreementMean()),
              number(row.jaccardMean())));
    }
    page.append("</table>\n");
  }

  /** The calibration sets compared: per sparsity, each set's metric and the sets' overlaps. */
  /** With rescaling: per criterion and sparsity, the seeds' metric without and with it. */
  private static void recovery(StringBuilder page, PruneReport report) {
    PruneReport.RecoveryReport recovery = report.recovery();
    if (recovery == null) {
      return;
    }
    page.append("<h2>Recovery by rescaling</h2>\n<p class=\"recovery\">")
        .append(escape(recovery.verdict()))
        .append(
            String.format(
                Locale.ROOT,
                " %d head sets fitted in %.1f s (ridge %s toward 1).",
                recovery.fits(),
                recovery.seconds(),
                plain(recovery.ridge())))
        .append("</p>\n<table id=\"recovery\">\n<tr><th>criterion</th><th>sparsity</th>")
        .append("<th>plain</th><th>rescaled</th><th>seeds better</th><th>seeds worse</th></tr>\n");
    for (PruneReport.RecoveryRow row : recovery.rows()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%s</td><td>%s ± %s</td><td>%s ± %s</td><td>%d of %d</td>"
                  + "<td>%d of %d</td></tr>%n",
              escape(row.criterion()),
              plain(row.sparsity()),
              digits(report.metric(), row.plain().mean()),
              digits(report.metric(), row.plain().std()),
              digits(report.metric(), row.rescaled().mean()),
              digits(report.metric(), row.rescaled().std()),
              row.better(),
              row.plain().count(),
              row.worse(),
              row.plain().count()));
    }
    page.append("</table>\n");
  }

  private static void calibrations(StringBuilder page, PruneReport report) {
    PruneReport.CalibrationComparison c = report.calibrations();
    if (c == null) {
      return;
    }
    page.append("<h2>Calibration sets compared</h2>\n<p>")
        .append(escape(c.verdict()))
        .append("</p>\n<p>Each set is scored on its own ")
        .append(c.seeds())
        .append(" seeded draw(s), its heads selected by ")
        .append(escape(c.criterion()))
        .append(" and evaluated on the same evaluation data.</p>\n<ul>\n");
    for (PruneReport.CalibrationSet set : c.sets()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<li>%s: %s (%d examples, %d per seed)</li>%n",
              escape(set.name()),
              escape(set.source()),
              set.pool(),
              set.calibrationPerSeed()));
    }
    page.append("</ul>\n<table><tr><th>set</th><th>sparsity</th><th>")
        .append(escape(report.metric()))
        .append(
            " mean ± std</th><th>agreement with unpruned</th><th>Jaccard within the set</th></tr>\n");
    for (PruneReport.CalibrationRow row : c.rows()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%s</td><td>%s ± %s</td><td>%s</td><td>%s</td></tr>%n",
              escape(row.set()),
              plain(row.sparsity()),
              digits(report.metric(), row.mean()),
              digits(report.metric(), row.std()),
              number(row.agreementMean()),
              number(row.jaccardWithin())));
    }
    page.append(
        "</table>\n<table><tr><th>sparsity</th><th>sets</th><th>Jaccard between their"
            + " selections</th></tr>\n");
    for (PruneReport.CalibrationOverlap overlap : c.overlaps()) {
      page.append(
          String.format(
              Locale.ROOT,
              "<tr><td>%s</td><td>%s · %s</td><td>%s</td></tr>%n",
              plain(overlap.sparsity()),
              escape(overlap.a()),
              escape(overlap.b()),
              number(overlap.jaccard())));
    }
    page.append("</table>\n");
  }

  private static void decisions(StringBuilder page, PruneReport report) {
    page.append("<h2>Decisions</h2>\n<ul>\n");
    page.append("<li>Target: sparsity ")
        .append(plain(report.target().sparsity()))
        .append(" — ")
        .append(escape(report.target().reason()))
        .append(".</li>\n");
    page.append("<li>α: ").append(escape(report.alpha().explanation())).append(".</li>\n");
    page.append("<li>Pruned ")
        .append(report.artifact().prunedHeads().length)
        .append(" of ")
        .append(report.model().heads())
        .append(" heads with ")
        .append(escape(report.artifact().criterion()))
        .append(" (")
        .append(escape(report.artifact().selection()))
        .append(")")
        .append(
            Recovery.RESCALE.id().equals(report.artifact().recovery())
                ? "; the kept heads' output projections rescaled"
                : "")
        .append(".</li>\n");
    String beaten = Summaries.beaten(report);
    if (beaten != null) {
      page.append("<li class=\"beaten\"><strong>")
          .append(escape(beaten))
          .append("</strong></li>\n");
    }
    PruneReport.Speedup speedup = report.speedup();
    if (speedup != null) {
      page.append(
          String.format(
              Locale.ROOT,
              "<li>Speed-up: parameters %d → %d; attention FLOPs ratio %.3f%s; KV cache %d → %d bytes per token.</li>%n",
              speedup.parametersBefore(),
              speedup.parametersAfter(),
              speedup.flopsRatio(),
              speedup.latencyRatio() == null
                  ? ""
                  : String.format(
                      Locale.ROOT, "; measured latency ratio %.3f", speedup.latencyRatio()),
              speedup.kvCacheBytesPerTokenBefore(),
              speedup.kvCacheBytesPerTokenAfter()));
    }
    page.append("</ul>\n");
  }

  /** What the page is about: the model, the heads removed, the criterion and the sparsity. */
  static String title(PruneReport report) {
    return String.format(
        Locale.ROOT,
        "%s: %d of %d heads removed by %s at sparsity %s",
        report.model().name(),
        report.artifact().prunedHeads().length,
        report.model().heads(),
        report.artifact().criterion(),
        plain(report.artifact().sparsity()));
  }

  /** The artifact's own measurements beside the seeds' spread, in one paragraph. */
  private static void artifact(StringBuilder page, PruneReport report) {
    PruneReport.Artifact a = report.artifact();
    page.append("<p class=\"artifact\"><strong>The artifact</strong> (its own head set, on the ")
        .append(escape(report.data().evaluationSource()))
        .append("): ")
        .append(escape(report.metric()))
        .append(" ")
        .append(digits(report.metric(), a.metric()))
        .append(
            a.plainMetric() == null
                ? ""
                : " with its kept heads rescaled ("
                    + digits(report.metric(), a.plainMetric())
                    + " without)")
        .append(", agreement with the unpruned model ")
        .append(number(a.agreement()));
    if (a.latencyRatio() != null) {
      page.append(", latency ratio ")
          .append(String.format(Locale.ROOT, "%.3f", a.latencyRatio()))
          .append(a.latencyRatio() > 1 ? " (faster)" : " (not faster)");
    }
    if (a.seeds() != null) {
      page.append(". The seeds' own head sets at the same criterion and sparsity: ")
          .append(digits(report.metric(), a.seeds().mean()))
          .append(" ± ")
          .append(digits(report.metric(), a.seeds().std()))
          .append(" over ")
          .append(a.seeds().count())
          .append(" seed(s)");
    }
    page.append(".</p>\n");
  }

  /**
   * A metric's value at its precision: four decimals for bounded metrics, two for perplexity, so a
   * mean and its std have the same digits.
   */
  static String digits(String metric, double value) {
    if (!Double.isFinite(value)) {
      return "—";
    }
    return String.format(Locale.ROOT, "perplexity".equals(metric) ? "%.2f" : "%.4f", value);
  }

  /** A sparsity or α as written: 0.125 is 0.125, 0.5 is 0.5. */
  static String plain(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  private static String number(double value) {
    return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4g", value) : "—";
  }

  static String escape(String text) {
    if (text == null) {
      return "";
    }
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
