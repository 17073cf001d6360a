package io.headprune.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.headprune.scoring.HeadRef;
import io.headprune.scoring.HeadScore;
import io.headprune.scoring.ScoreTable;
import tools.jackson.databind.JsonNode;

/** Comparison of a score table with a reference's score file, printing the worst relative gaps. */
public final class GoldenScores {

  private GoldenScores() {}

  /**
   * HIS within 1e-3 and AE within 1e-4 relative; normalised values and HIES as the BERT golden
   * test.
   */
  public static void assertMatches(String what, ScoreTable table, JsonNode golden) {
    JsonNode heads = golden.get("heads");
    assertThat(table.examples()).isEqualTo(golden.get("examples").asInt());
    assertThat(table.heads()).hasSize(heads.size());
    double worstHis = 0;
    double worstEntropy = 0;
    for (int i = 0; i < heads.size(); i++) {
      JsonNode want = heads.get(i);
      HeadScore got = table.heads().get(i);
      assertThat(got.ref())
          .isEqualTo(new HeadRef(want.get("layer").asInt(), want.get("head").asInt()));
      double his = want.get("his").asDouble();
      double entropy = want.get("entropy").asDouble();
      worstHis = Math.max(worstHis, Math.abs(got.his() - his) / his);
      worstEntropy = Math.max(worstEntropy, Math.abs(got.entropy() - entropy) / entropy);
      assertThat(got.his()).as("%s his %s", what, got.ref()).isCloseTo(his, within(1e-3 * his));
      assertThat(got.entropy())
          .as("%s entropy %s", what, got.ref())
          .isCloseTo(entropy, within(1e-4 * entropy));
      assertThat(got.entropyNorm())
          .as("%s entropyNorm %s", what, got.ref())
          .isCloseTo(want.get("entropyNorm").asDouble(), within(1e-4));
      assertThat(got.hisNorm())
          .as("%s hisNorm %s", what, got.ref())
          .isCloseTo(want.get("hisNorm").asDouble(), within(1e-3));
      assertThat(got.hies())
          .as("%s hies %s", what, got.ref())
          .isCloseTo(want.get("hies").asDouble(), within(1e-3));
    }
    System.out.printf(
        "%s parity: worst relative HIS %.3e, worst relative entropy %.3e%n",
        what, worstHis, worstEntropy);
  }
}
