package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The rotary tables of every rope type against the formulas of transformers' modeling_rope_utils.py
 * evaluated here independently in float64: inverse frequencies to 1e-6 relative, cos and sin (times
 * the attention factor) at every position to 2e-5.
 */
class RopeTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static ObjectNode config(String json) {
    return (ObjectNode) JSON.readTree(json);
  }

  private static double base(double theta, int dim, int i) {
    return 1.0 / Math.pow(theta, 2.0 * i / dim);
  }

  private static void assertTables(Rope rope, IntToDoubleFunction inverse, double factor, int n) {
    int half = rope.dim() / 2;
    float[] got = rope.inverse(n);
    for (int i = 0; i < half; i++) {
      double want = inverse.applyAsDouble(i);
      assertThat((double) got[i]).as("inv_freq[%d]", i).isCloseTo(want, within(1e-6 * want));
    }
    int tokens = Math.max(n, 64);
    float[][] table = rope.table(got, tokens);
    for (int t = 0; t < tokens; t++) {
      for (int j = 0; j < rope.dim(); j++) {
        double angle = t * inverse.applyAsDouble(j % half);
        assertThat((double) table[0][t * rope.dim() + j])
            .as("cos[%d, %d]", t, j)
            .isCloseTo(Math.cos(angle) * factor, within(2e-5));
        assertThat((double) table[1][t * rope.dim() + j])
            .as("sin[%d, %d]", t, j)
            .isCloseTo(Math.sin(angle) * factor, within(2e-5));
      }
    }
  }

  @Test
  void defaultAndV5Spelling() {
    Rope v4 = Rope.of(config("{\"rope_theta\": 500000.0}"), 16, 128, true, false);
    Rope v5 =
        Rope.of(
            config("{\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000}}"),
            16,
            128,
            true,
            false);
    assertThat(v4.type()).isEqualTo("default");
    assertTables(v4, i -> base(500000, 16, i), 1, 0);
    assertThat(v5.inverse(0)).isEqualTo(v4.inverse(0));
  }

  @Test
  void linearDividesEveryFrequency() {
    Rope rope =
        Rope.of(
            config("{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}}"),
            8,
            256,
            true,
            false);
    assertTables(rope, i -> base(10000, 8, i) / 4, 1, 0);
  }

  @Test
  void dynamicRaisesThetaBeyondTheContextOnly() {
    Rope rope =
        Rope.of(
            config("{\"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}}"),
            8,
            24,
            true,
            false);
    assertTables(rope, i -> base(10000, 8, i), 1, 24);
    int n = 61;
    double theta = 10000 * Math.pow(2.0 * n / 24 - 1, 8.0 / 6);
    assertTables(rope, i -> base(theta, 8, i), 1, n);
    assertThat(rope.extendsContext()).isTrue();
  }

  @Test
  void llama3KeepsDividesAndMixesByWavelength() {
    Rope rope =
        Rope.of(
            config(
                "{\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\","
                    + " \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 40}}"),
            16,
            640,
            true,
            false);
    int[] kinds = new int[3];
    for (int i = 0; i < 8; i++) {
      double wavelength = 2 * Math.PI / base(500000, 16, i);
      kinds[wavelength < 40 / 4.0 ? 0 : wavelength > 40 / 1.0 ? 2 : 1]++;
    }
    assertThat(kinds).containsExactly(1, 1, 6); // kept, mixed, divided (the fixture's 1 / 1 / 6)
    assertTables(
        rope,
        i -> {
          double inv = base(500000, 16, i);
          double wavelength = 2 * Math.PI / inv;
          if (wavelength < 40 / 4.0) {
            return inv;
          }
          if (wavelength > 40 / 1.0) {
            return inv / 8;
          }
          double smooth = (40 / wavelength - 1) / (4 - 1);
          return (1 - smooth) * inv / 8 + smooth * inv;
        },
        1,
        0);
  }

  @Test
  void yarnRampsBetweenCorrectionDimsAndScalesByItsAttentionFactor() {
    Rope rope =
        Rope.of(
            config(
                "{\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0,"
                    + " \"original_max_position_embeddings\": 32}}"),
            16,
            128,
            true,
            false);
    double attention = 0.1 * Math.log(4) + 1;
    assertThat((double) rope.attentionFactor()).isCloseTo(1.1386294, within(1e-6));
    double low =
        Math.max(0, Math.floor(16 * Math.log(32 / (32 * 2 * Math.PI)) / (2 * Math.log(1e4))));
    double high =
        Math.min(15, Math.ceil(16 * Math.log(32 / (1 * 2 * Math.PI)) / (2 * Math.log(1e4))));
    assertTables(
        rope,
        i -> {
          double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
          double extrapolation = base(10000, 16, i);
          return extrapolation / 4 * ramp + extrapolation * (1 - ramp);
        },
        attention,
        0);
  }

  @Test
  void partialRotaryRotatesTheFirstDimensionsOnly() {
    Rope rope = Rope.of(config("{\"partial_rotary_factor\": 0.75}"), 16, 128, false, true);
    assertThat(rope.dim()).isEqualTo(12);
    assertTables(rope, i -> base(10000, 12, i), 1, 0);
    assertThatThrownBy(
            () -> Rope.of(config("{\"partial_rotary_factor\": 0.75}"), 16, 128, true, false))
        .isInstanceOf(UnsupportedModelException.class)
        .hasMessageContaining("partial_rotary_factor");
  }

  @Test
  void hostileSettingsAreRefusedByKey() {
    assertThatThrownBy(
            () ->
                Rope.of(
                    config("{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 0}}"),
                    16,
                    128,
                    true,
                    false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("rope_scaling.factor must be a positive number");
    assertThatThrownBy(
            () ->
                Rope.of(
                    config("{\"rope_scaling\": {\"rope_type\": \"linear\"}}"),
                    16,
                    128,
                    true,
                    false))
        .hasMessageContaining("rope_scaling.factor is required for rope_type 'linear'");
    assertThatThrownBy(
            () ->
                Rope.of(
                    config("{\"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2}}"),
                    16,
                    128,
                    false,
                    false))
        .isInstanceOf(UnsupportedModelException.class)
        .hasMessageContaining("only the default rotary embedding");
    assertThatThrownBy(
            () -> Rope.of(config("{\"rope_scaling\": \"linear\"}"), 16, 128, true, false))
        .hasMessageContaining("rope_scaling must be an object");
  }
}
