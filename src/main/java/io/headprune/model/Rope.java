package io.headprune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.UnsupportedModelException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Rotary position embeddings as transformers' {@code modeling_rope_utils.py} computes them: the
 * settings merged from v5's {@code rope_parameters} and v4's {@code rope_scaling} (the latter
 * wins), the type from {@code rope_type}, else the legacy {@code type}, else {@code default}; the
 * inverse frequencies of {@code default}, {@code linear}, {@code dynamic} (NTK, from each example's
 * own length), {@code llama3} and {@code yarn} (with its attention factor), in float32 operations
 * in the order transformers performs them; a rotary dimension of {@code int(head_dim ·
 * partial_rotary_factor)}. Applied as {@code rotate_half} (halves, not pairs) on the first R
 * dimensions of each head; the others pass unchanged.
 *
 * @param type the rope type
 * @param theta the base
 * @param dim R, the rotated dimensions of a head (even)
 * @param maxPositions max_position_embeddings (dynamic: where scaling starts)
 * @param factor the scaling factor (1 for default)
 * @param attentionFactor what cos and sin are multiplied by (yarn; 1 otherwise)
 * @param inverse the inverse frequencies (R/2) for every type but dynamic beyond maxPositions
 */
public record Rope(
    String type,
    double theta,
    int dim,
    int maxPositions,
    double factor,
    float attentionFactor,
    float[] inverse) {

  /** The types this engine computes, as transformers names them. */
  public static final List<String> TYPES =
      List.of("default", "linear", "dynamic", "llama3", "yarn");

  /**
   * Reads the rotary settings of a config. {@code scalable} false refuses every type but default
   * (families whose transformers code ignores or replaces the others); {@code partial} false
   * refuses a partial_rotary_factor ≠ 1 (families whose transformers code rotates the whole head).
   */
  public static Rope of(
      ObjectNode raw, int headDim, int maxPositions, boolean scalable, boolean partial) {
    ObjectNode params = raw.objectNode();
    JsonNode v5 = raw.get("rope_parameters");
    if (v5 != null && !v5.isNull()) {
      if (!v5.isObject()) {
        throw new InvalidInputException("config.json: rope_parameters must be an object");
      }
      if (!v5.isEmpty() && allObjects(v5)) {
        throw new UnsupportedModelException(
            "config.json: rope_parameters per layer type "
                + names(v5)
                + " are not supported (one rotary embedding for every layer)");
      }
      params.setAll((ObjectNode) v5);
    }
    JsonNode v4 = raw.get("rope_scaling");
    if (v4 != null && !v4.isNull()) {
      if (!v4.isObject()) {
        throw new InvalidInputException("config.json: rope_scaling must be an object or null");
      }
      params.setAll((ObjectNode) v4);
    }
    String where = v4 != null && !v4.isNull() ? "rope_scaling" : "rope_parameters";
    JsonNode typeNode = params.has("rope_type") ? params.get("rope_type") : params.get("type");
    String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.asString("?");
    if (!TYPES.contains(type)) {
      throw new UnsupportedModelException(
          "config.json: "
              + where
              + ".rope_type '"
              + type
              + "' is not supported (supported: "
              + String.join(", ", TYPES)
              + (type.equals("longrope") || type.equals("su")
                  ? "; Phi-3's long-context longrope is not implemented"
                  : "")
              + ")");
    }
    if (!scalable && !type.equals("default")) {
      throw new UnsupportedModelException(
          "config.json: "
              + where
              + ".rope_type '"
              + type
              + "' is not supported for "
              + raw.path("model_type").asString("")
              + " (only the default rotary embedding)");
    }
    double theta =
        number(params, "rope_theta", where, number(raw, "rope_theta", "config.json", 10000.0));
    double partialFactor =
        number(
            params,
            "partial_rotary_factor",
            where,
            number(raw, "partial_rotary_factor", "config.json", 1.0));
    if (partialFactor != 1.0 && !partial) {
      throw new UnsupportedModelException(
          "config.json: partial_rotary_factor "
              + partialFactor
              + " is not supported for "
              + raw.path("model_type").asString("")
              + " (transformers rotates the whole head_dim)");
    }
    int dim = (int) (headDim * partialFactor);
    if (dim <= 0 || dim % 2 != 0 || partialFactor > 1) {
      throw new InvalidInputException(
          "config.json: the rotary dimension int(head_dim "
              + headDim
              + " × partial_rotary_factor "
              + partialFactor
              + ") = "
              + dim
              + " must be even, positive and at most head_dim");
    }
    float[] base = defaults(theta, dim);
    return switch (type) {
      case "default" -> new Rope(type, theta, dim, maxPositions, 1, 1f, base);
      case "linear" -> {
        double factor = required(params, "factor", where, type);
        float[] inverse = base.clone();
        for (int i = 0; i < inverse.length; i++) {
          inverse[i] = inverse[i] / (float) factor;
        }
        yield new Rope(type, theta, dim, maxPositions, factor, 1f, inverse);
      }
      case "dynamic" ->
          new Rope(
              type, theta, dim, maxPositions, required(params, "factor", where, type), 1f, base);
      case "llama3" -> llama3(params, where, theta, dim, maxPositions, base);
      default -> yarn(params, where, theta, dim, maxPositions);
    };
  }

  /** 1 / θ^(2i/R), i &lt; R/2, as float32 torch computes {@code base ** (arange(0, R, 2) / R)}. */
  static float[] defaults(double theta, int dim) {
    float[] inverse = new float[dim / 2];
    for (int i = 0; i < inverse.length; i++) {
      float exponent = (float) (2 * i) / (float) dim;
      inverse[i] = 1f / (float) Math.pow((float) theta, exponent);
    }
    return inverse;
  }

  private static Rope llama3(
      ObjectNode params, String where, double theta, int dim, int maxPositions, float[] base) {
    float factor = (float) required(params, "factor", where, "llama3");
    float low = (float) required(params, "low_freq_factor", where, "llama3");
    float high = (float) required(params, "high_freq_factor", where, "llama3");
    double original = required(params, "original_max_position_embeddings", where, "llama3");
    if (high <= low) {
      throw new InvalidInputException(
          "config.json: "
              + where
              + ".high_freq_factor "
              + high
              + " must exceed low_freq_factor "
              + low);
    }
    float lowWavelength = (float) (original / low);
    float highWavelength = (float) (original / high);
    float[] inverse = new float[base.length];
    for (int i = 0; i < base.length; i++) {
      float wavelength = (float) (2 * Math.PI) / base[i];
      float scaled = wavelength > lowWavelength ? base[i] / factor : base[i];
      boolean medium = !(wavelength < highWavelength) && !(wavelength > lowWavelength);
      if (medium) {
        float smooth = ((float) original / wavelength - low) / (high - low);
        inverse[i] = (1 - smooth) * scaled / factor + smooth * scaled;
      } else {
        inverse[i] = scaled;
      }
    }
    return new Rope("llama3", theta, dim, maxPositions, factor, 1f, inverse);
  }

  private static Rope yarn(
      ObjectNode params, String where, double theta, int dim, int maxPositions) {
    double original = number(params, "original_max_position_embeddings", where, maxPositions);
    double factor = number(params, "factor", where, maxPositions / original);
    Double attention = optional(params, "attention_factor", where);
    Double mscale = optional(params, "mscale", where);
    Double mscaleAllDim = optional(params, "mscale_all_dim", where);
    double attentionFactor;
    if (attention != null) {
      attentionFactor = attention;
    } else if (mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0) {
      attentionFactor = mscale(factor, mscale) / mscale(factor, mscaleAllDim);
    } else {
      attentionFactor = mscale(factor, 1);
    }
    double fast = orDefault(optional(params, "beta_fast", where), 32);
    double slow = orDefault(optional(params, "beta_slow", where), 1);
    boolean truncate = !params.has("truncate") || params.get("truncate").asBoolean(true);
    double low = correctionDim(fast, dim, theta, original);
    double high = correctionDim(slow, dim, theta, original);
    if (truncate) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low == high) {
      high += 0.001;
    }
    float[] inverse = new float[dim / 2];
    for (int i = 0; i < inverse.length; i++) {
      float ramp = ((float) i - (float) low) / (float) (high - low);
      ramp = Math.min(1f, Math.max(0f, ramp));
      float extrapolationFactor = 1f - ramp;
      float exponent = (float) (2 * i) / (float) dim;
      float positionFrequency = (float) Math.pow((float) theta, exponent);
      float extrapolation = 1f / positionFrequency;
      float interpolation = 1f / ((float) factor * positionFrequency);
      inverse[i] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
    }
    return new Rope("yarn", theta, dim, maxPositions, factor, (float) attentionFactor, inverse);
  }

  private static double mscale(double scale, double m) {
    return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
  }

  private static double correctionDim(double rotations, int dim, double theta, double original) {
    return dim * Math.log(original / (rotations * 2 * Math.PI)) / (2 * Math.log(theta));
  }

  /**
   * The inverse frequencies for an example of {@code length} real tokens: dynamic scaling beyond
   * max_position_embeddings raises θ to θ·(factor·n/max − (factor − 1))^(R/(R−2)) in float32, as
   * {@code dynamic_rope_update} does; every other type ignores the length.
   */
  public float[] inverse(int length) {
    if (!type.equals("dynamic") || length <= maxPositions) {
      return inverse.clone();
    }
    float scaled = (float) factor * (float) length;
    scaled = scaled / (float) maxPositions;
    scaled = scaled - (float) (factor - 1);
    float raised = (float) Math.pow(scaled, (float) ((double) dim / (dim - 2)));
    float base = (float) theta * raised;
    return defaults(base, dim);
  }

  /** Whether a sequence may run past max_position_embeddings (dynamic's purpose). */
  public boolean extendsContext() {
    return type.equals("dynamic");
  }

  /**
   * cos and sin of {@code t · inv_freq} for t = 0 … T−1, the R/2 frequencies twice, times the
   * attention factor: (B or 1, 1, T, R) each; per example only when dynamic scaling needs it.
   */
  NDArray[] tables(NDManager scope, int[] lengths, int tokens) {
    boolean perExample =
        type.equals("dynamic") && Arrays.stream(lengths).anyMatch(n -> n > maxPositions);
    int rows = perExample ? lengths.length : 1;
    float[] cos = new float[rows * tokens * dim];
    float[] sin = new float[rows * tokens * dim];
    for (int b = 0; b < rows; b++) {
      float[] frequencies = inverse(perExample ? lengths[b] : 0);
      float[][] table = table(frequencies, tokens);
      System.arraycopy(table[0], 0, cos, b * tokens * dim, tokens * dim);
      System.arraycopy(table[1], 0, sin, b * tokens * dim, tokens * dim);
    }
    Shape shape = new Shape(rows, 1, tokens, dim);
    return new NDArray[] {scope.create(cos, shape), scope.create(sin, shape)};
  }

  /** cos and sin (T × R, row-major) of given inverse frequencies, times the attention factor. */
  float[][] table(float[] frequencies, int tokens) {
    int half = dim / 2;
    float[] cos = new float[tokens * dim];
    float[] sin = new float[tokens * dim];
    for (int t = 0; t < tokens; t++) {
      for (int i = 0; i < dim; i++) {
        float angle = (float) t * frequencies[i % half];
        cos[t * dim + i] = (float) Math.cos(angle) * attentionFactor;
        sin[t * dim + i] = (float) Math.sin(angle) * attentionFactor;
      }
    }
    return new float[][] {cos, sin};
  }

  /**
   * x · cos + rotate_half(x) · sin on the first R dimensions of x (B, N, T, D), rotate_half(y) =
   * cat(−y[R/2:], y[:R/2]); dimensions R … D−1 pass unchanged.
   */
  static NDArray apply(NDArray x, NDArray[] tables) {
    long d = x.getShape().get(3);
    long r = tables[0].getShape().get(3);
    NDArray rotary = r == d ? x : x.get(":, :, :, 0:" + r); // (B, N, T, R)
    long half = r / 2;
    NDArray first = rotary.get(":, :, :, 0:" + half);
    NDArray second = rotary.get(":, :, :, " + half + ":");
    NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), 3);
    NDArray turned = rotary.mul(tables[0]).add(rotated.mul(tables[1])); // (B, N, T, R)
    return r == d ? turned : NDArrays.concat(new NDList(turned, x.get(":, :, :, " + r + ":")), 3);
  }

  private static boolean allObjects(JsonNode node) {
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      if (!entry.getValue().isObject()) {
        return false;
      }
    }
    return true;
  }

  private static String names(JsonNode node) {
    StringBuilder out = new StringBuilder("[");
    Iterator<String> it = node.propertyNames().iterator();
    while (it.hasNext()) {
      out.append(it.next()).append(it.hasNext() ? ", " : "]");
    }
    return out.toString();
  }

  private static double orDefault(Double value, double fallback) {
    return value == null || value == 0 ? fallback : value;
  }

  private static Double optional(ObjectNode params, String key, String where) {
    JsonNode value = params.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isNumber() || !Double.isFinite(value.asDouble()) || value.asDouble() <= 0) {
      throw new InvalidInputException(
          "config.json: " + where + "." + key + " must be a positive number, got " + value);
    }
    return value.asDouble();
  }

  private static double number(ObjectNode params, String key, String where, double fallback) {
    Double value = optional(params, key, where);
    return value == null ? fallback : value;
  }

  private static double required(ObjectNode params, String key, String where, String type) {
    Double value = optional(params, key, where);
    if (value == null) {
      throw new InvalidInputException(
          "config.json: " + where + "." + key + " is required for rope_type '" + type + "'");
    }
    return value;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Rope that
        && type.equals(that.type)
        && theta == that.theta
        && dim == that.dim
        && maxPositions == that.maxPositions
        && factor == that.factor
        && attentionFactor == that.attentionFactor
        && Arrays.equals(inverse, that.inverse);
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + Arrays.hashCode(inverse);
  }

  @Override
  public String toString() {
    return "Rope[" + type + ", θ " + theta + ", dim " + dim + ", factor " + factor + "]";
  }
}
