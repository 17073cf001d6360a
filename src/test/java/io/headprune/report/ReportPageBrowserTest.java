package io.headprune.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.cli.Cli;
import io.headprune.support.Fixtures;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html in a real headless Chromium (Debian's package, which .ci/run installs): it loads from
 * file:// with no console error and no network request (its Content-Security-Policy allows none, so
 * any attempt would be reported as refused), its heatmap has one cell per head, and its curves one
 * path per criterion.
 */
class ReportPageBrowserTest {

  @TempDir Path dir;

  private static Path chromium() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    return null;
  }

  private record Run(String out, String err) {}

  private Run chromium(Path browser, String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                browser.toString(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--user-data-dir=" + dir.resolve("profile"),
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3000"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(dir.resolve("out.txt").toFile())
            .redirectError(dir.resolve("err.txt").toFile())
            .start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    return new Run(
        Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
  }

  private static int count(String text, String regex) {
    return (int) Pattern.compile(regex).matcher(text).results().count();
  }

  @Test
  void theReportLoadsOfflineWithOneCellPerHeadAndOneCurvePerCriterion() throws Exception {
    Path browser = chromium();
    Assumptions.assumeTrue(
        browser != null,
        "Chromium is not installed (.ci/run installs Debian's chromium); the browser check is skipped");
    Path model = Fixtures.tinyBert();
    Path out = dir.resolve("run");
    StringWriter err = new StringWriter();
    int code =
        Cli.run(
            new String[] {
              "prune",
              "--model",
              model.toString(),
              "--data",
              model.resolve("calib.jsonl").toString(),
              "--eval",
              model.resolve("eval.jsonl").toString(),
              "--criteria",
              "hies,his,random",
              "--sparsities",
              "0.25,0.5",
              "--seeds",
              "2",
              "--calibration-size",
              "64",
              "--sparsity",
              "0.5",
              "--no-latency",
              "--quiet",
              "--out",
              out.toString()
            },
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    Path page = out.resolve("report.html");
    assertThat(page).exists();

    Run dom = chromium(browser, "--dump-dom", page.toUri().toString());
    assertThat(count(dom.out(), "<rect class=\"cell")).as("one cell per head").isEqualTo(16);
    assertThat(count(dom.out(), "<rect class=\"cell pruned"))
        .as("pruned heads marked")
        .isEqualTo(8);
    assertThat(count(dom.out(), "<path class=\"curve\""))
        .as("one curve per criterion")
        .isEqualTo(3);
    assertThat(dom.out())
        .contains("data-criterion=\"hies\"")
        .contains("data-criterion=\"his\"")
        .contains("data-criterion=\"random\"")
        .contains("Decisions");
    String log = dom.err();
    assertThat(log)
        .as("no console error")
        .doesNotContain("Uncaught")
        .doesNotContain(":ERROR:CONSOLE");
    assertThat(log)
        .as("no network request")
        .doesNotContain("Refused to")
        .doesNotContain("net::ERR_");

    // the AE button repaints every cell from its data-ae value (the page's own script, clicked in
    // the browser)
    Path clicked = dir.resolve("clicked.html");
    Files.writeString(
        clicked,
        Files.readString(page)
            .replace(
                "</body>",
                "<script>document.querySelector('button[data-metric=ae]').click();</script></body>"));
    Run switched = chromium(browser, "--dump-dom", clicked.toUri().toString());
    var cells =
        Pattern.compile(
                "<rect class=\"cell[^>]*fill=\"rgb\\((\\d+),(\\d+),255\\)\"[^>]*data-ae=\"([^\"]+)\"")
            .matcher(switched.out())
            .results()
            .toList();
    assertThat(cells).hasSize(16);
    for (var cell : cells) {
      double ae = Double.parseDouble(cell.group(3));
      assertThat(Integer.parseInt(cell.group(1))).isEqualTo((int) Math.round(255 - ae * 200));
      assertThat(Integer.parseInt(cell.group(2))).isEqualTo((int) Math.round(255 - ae * 150));
    }
    assertThat(switched.out()).contains("data-metric=\"ae\" class=\"on\"");
    assertThat(switched.err()).doesNotContain("Uncaught");

    Run shot =
        chromium(
            browser,
            "--screenshot=" + dir.resolve("report.png"),
            "--window-size=1000,1500",
            page.toUri().toString());
    assertThat(dir.resolve("report.png")).as(shot.err()).exists();
    assertThat(Files.size(dir.resolve("report.png"))).isGreaterThan(10_000);
  }
}
