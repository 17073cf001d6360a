package io.headprune.pruning;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.headprune.problem.InvalidInputException;
import io.headprune.scoring.Criterion;
import io.headprune.scoring.Metric;
import io.headprune.scoring.Normalization;
import jakarta.annotation.Nullable;
import java.util.List;

/**
 * Everything a pruning run can be told (ARCHITECTURE.md §3, §5, §6), built and validated once —
 * from a job request or the command line's flags — with the defaults ({@link #defaults()}, {@link
 * #cli}) and the bounds (the constants here) in this one place.
 *
 * @param criteria criteria evaluated side by side
 * @param criterion the criterion the artifact is pruned with
 * @param sparsities sparsities every criterion is evaluated at
 * @param target the sparsity of the artifact: given, or chosen by a metric budget
 * @param alpha HIES weight: fixed, or chosen per sparsity by a rule
 * @param normalization min–max over the model or within each layer
 * @param seeds number of seeds (0 … seeds − 1)
 * @param calibrationSize examples drawn per seed, or null for the whole pool
 * @param maxLength token limit per example
 * @param batchSize examples per forward/backward pass
 * @param minHeadsPerLayer heads every layer keeps
 * @param metric task metric, or null for the task's default
 * @param selection one-shot, iterative (re-scoring after each step) or uniform key/value groups
 * @param validationFraction share of the pool held out for automatic α, when its rule needs one
 * @param evaluationFraction share of the pool held out when no evaluation set is given
 * @param measureLatency whether to time the dense and the pruned model
 * @param recovery what is done to the kept heads after pruning: nothing, or rescaling
 */
public record PruneOptions(
    List<Criterion> criteria,
    Criterion criterion,
    List<Double> sparsities,
    Target target,
    Alpha alpha,
    Normalization normalization,
    int seeds,
    @Nullable Integer calibrationSize,
    int maxLength,
    int batchSize,
    int minHeadsPerLayer,
    @Nullable Metric metric,
    Selection selection,
    double validationFraction,
    double evaluationFraction,
    boolean measureLatency,
    Recovery recovery) {

  /** Most seeds a run takes. */
  public static final int MAX_SEEDS = 20;

  /** Most examples a seed draws. */
  public static final int MAX_CALIBRATION_SIZE = 100_000;

  /** Shortest and longest token limit per example. */
  public static final int MIN_LENGTH = 2;

  public static final int MAX_LENGTH = 8192;

  /** Most examples per pass. */
  public static final int MAX_BATCH = 1024;

  /** Grid of α tried when α is automatic. */
  public static final double[] ALPHA_GRID = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1};

  /** The artifact's sparsity; in JSON, {@code kind} says which. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Target.Sparsity.class, name = "sparsity"),
    @JsonSubTypes.Type(value = Target.MetricBudget.class, name = "maxMetricDrop")
  })
  public sealed interface Target permits Target.Sparsity, Target.MetricBudget {

    /** A given sparsity in [0, 1). */
    record Sparsity(double value) implements Target {
      public Sparsity {
        if (!(value >= 0 && value < 1)) {
          throw new InvalidInputException("target sparsity " + value + " is outside [0, 1)");
        }
      }
    }

    /**
     * The largest sparsity on a grid of {@code step} whose mean metric stays within {@code
     * maxMetricDrop} of the unpruned model's (a relative rise for perplexity).
     */
    record MetricBudget(double maxMetricDrop, double step) implements Target {
      public MetricBudget {
        if (!(maxMetricDrop >= 0 && maxMetricDrop <= 1)) {
          throw new InvalidInputException("maxMetricDrop " + maxMetricDrop + " is outside [0, 1]");
        }
        if (!(step > 0 && step < 1)) {
          throw new InvalidInputException("target step " + step + " is outside (0, 1)");
        }
      }
    }

    /** A fixed target sparsity. */
    static Target sparsity(double sparsity) {
      return new Sparsity(sparsity);
    }

    /**
     * Exactly one of {@code sparsity} and {@code maxMetricDrop}, as a request or flags give them.
     */
    static Target of(Double sparsity, Double maxMetricDrop) {
      if ((sparsity == null) == (maxMetricDrop == null)) {
        throw new InvalidInputException("target needs exactly one of sparsity and maxMetricDrop");
      }
      return sparsity != null ? new Sparsity(sparsity) : new MetricBudget(maxMetricDrop, 0.05);
    }
  }

  /** How heads are chosen for a sparsity; in JSON, {@code kind} says which. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Selection.OneShot.class, name = "one-shot"),
    @JsonSubTypes.Type(value = Selection.Iterative.class, name = "iterative"),
    @JsonSubTypes.Type(value = Selection.UniformGroups.class, name = "uniform-groups")
  })
  public sealed interface Selection
      permits Selection.OneShot, Selection.Iterative, Selection.UniformGroups {

    /** The lowest-scoring heads at once. */
    record OneShot() implements Selection {}

    /** {@code step} of the heads at a time, re-scoring with the pruned heads gated off (§3.8). */
    record Iterative(double step) implements Selection {
      public Iterative {
        if (!(step > 0 && step < 1)) {
          throw new InvalidInputException("step " + step + " is outside (0, 1)");
        }
      }
    }

    /**
     * Whole key/value groups, the same number in every layer (§3.8); {@code loadableByV5} keeps
     * hidden_size divisible by the query heads left; {@code tensorParallel} &gt; 1 keeps the head
     * counts vLLM shards over that many GPUs: query heads divisible by it, key/value heads
     * divisible by it or, when fewer, dividing it (vLLM replicates them).
     */
    record UniformGroups(boolean loadableByV5, int tensorParallel) implements Selection {

      /** Whole groups for transformers v4 ({@code v5} false) or v5, no serving target. */
      public UniformGroups(boolean loadableByV5) {
        this(loadableByV5, 1);
      }

      public UniformGroups {
        if (tensorParallel < 1 || tensorParallel > 1024) {
          throw new InvalidInputException(
              "the vLLM tensor-parallel size must be in [1, 1024], got " + tensorParallel);
        }
      }

      /**
       * Reads keepLoadableBy: targets joined by '+', each {@code v4}, {@code v5} or {@code
       * vllm-tp<N>} (e.g. {@code v5+vllm-tp4}).
       */
      public static UniformGroups keepLoadableBy(String targets) {
        boolean v5 = false;
        int parallel = 1;
        for (String target : targets.split("\\+", -1)) {
          if (target.equals("v5")) {
            v5 = true;
          } else if (target.matches("vllm-tp[1-9][0-9]{0,3}")) {
            parallel = Integer.parseInt(target.substring("vllm-tp".length()));
          } else if (!target.equals("v4")) {
            throw new InvalidInputException(
                "keepLoadableBy target '"
                    + target
                    + "' is not v4, v5 or vllm-tp<N> (targets joined by '+', e.g. v5+vllm-tp4)");
          }
        }
        return new UniformGroups(v5, parallel);
      }

      /**
       * Whether a pruned config with {@code queries} query and {@code keyValues} key/value heads
       * per layer meets the targets; {@code divideHidden}: the family demands hidden_size divisible
       * by the query heads whatever the version.
       */
      public boolean allows(int hidden, int queries, int keyValues, boolean divideHidden) {
        return ((!loadableByV5 && !divideHidden) || hidden % queries == 0)
            && servesWithTensorParallel(queries, keyValues, tensorParallel);
      }

      /** vLLM's check for tensor parallelism over {@code size} GPUs. */
      public static boolean servesWithTensorParallel(int queries, int keyValues, int size) {
        return queries % size == 0
            && (keyValues >= size ? keyValues % size == 0 : size % keyValues == 0);
      }
    }

    /** The name in requests and reports: one-shot, iterative or uniform-groups. */
    @JsonIgnore
    default String id() {
      if (this instanceof Iterative) {
        return "iterative";
      }
      return this instanceof UniformGroups ? "uniform-groups" : "one-shot";
    }
  }

  public PruneOptions {
    criteria = List.copyOf(criteria);
    sparsities = List.copyOf(sparsities);
    if (criteria.isEmpty()) {
      throw new InvalidInputException("criteria must name at least one criterion");
    }
    for (double sparsity : sparsities) {
      if (!(sparsity >= 0 && sparsity < 1)) {
        throw new InvalidInputException("sparsity " + sparsity + " is outside [0, 1)");
      }
    }
    if (target == null
        || alpha == null
        || selection == null
        || criterion == null
        || recovery == null) {
      throw new InvalidInputException(
          "target, alpha, selection, criterion and recovery are required");
    }
    if (seeds < 1 || seeds > MAX_SEEDS) {
      throw new InvalidInputException("seeds " + seeds + " is outside [1, " + MAX_SEEDS + "]");
    }
    if (calibrationSize != null
        && (calibrationSize < 1 || calibrationSize > MAX_CALIBRATION_SIZE)) {
      throw new InvalidInputException(
          "calibrationSize " + calibrationSize + " is outside [1, " + MAX_CALIBRATION_SIZE + "]");
    }
    if (maxLength < MIN_LENGTH || maxLength > MAX_LENGTH) {
      throw new InvalidInputException(
          "maxLength " + maxLength + " is outside [" + MIN_LENGTH + ", " + MAX_LENGTH + "]");
    }
    if (batchSize < 1 || batchSize > MAX_BATCH) {
      throw new InvalidInputException(
          "batchSize " + batchSize + " is outside [1, " + MAX_BATCH + "]");
    }
    if (minHeadsPerLayer < 0) {
      throw new InvalidInputException(
          "minHeadsPerLayer " + minHeadsPerLayer + " must be non-negative");
    }
  }

  /** Whether heads are re-scored after each step. */
  public boolean iterative() {
    return selection instanceof Selection.Iterative;
  }

  /** The iterative step (0 for other selections). */
  public double step() {
    return selection instanceof Selection.Iterative iterative ? iterative.step() : 0;
  }

  /** Whether whole key/value groups are removed, the same number per layer. */
  public boolean uniformGroups() {
    return selection instanceof Selection.UniformGroups;
  }

  /** With uniform groups, whether hidden_size stays divisible by the query heads left. */
  public boolean loadableByV5() {
    return selection instanceof Selection.UniformGroups groups && groups.loadableByV5();
  }

  /** With uniform groups, the vLLM tensor-parallel size the pruned config must allow (1: none). */
  public int tensorParallel() {
    return selection instanceof Selection.UniformGroups groups ? groups.tensorParallel() : 1;
  }

  /**
   * {@code "auto"} (chosen by {@code by}: divergence, the default, or metric) or a number in [0,
   * 1].
   */
  public static Alpha parseAlpha(String text, String by) {
    return Alpha.parse(text, by);
  }

  /** The fixed α, or null when α is automatic. */
  public Double fixedAlpha() {
    return alpha instanceof Alpha.Fixed fixed ? fixed.value() : null;
  }

  /**
   * A job's defaults: hies, his and random at 0.1, 0.3 and 0.5; the artifact at 0.3; α 0.5; 5 seeds
   * of 32 examples; 128 tokens; batches of 16; one head kept per layer; one-shot selection; no
   * recovery.
   */
  public static PruneOptions defaults() {
    return new PruneOptions(
        List.of(Criterion.HIES, Criterion.HIS, Criterion.RANDOM),
        Criterion.HIES,
        List.of(0.1, 0.3, 0.5),
        Target.sparsity(0.3),
        new Alpha.Fixed(0.5),
        Normalization.GLOBAL,
        5,
        32,
        128,
        16,
        1,
        null,
        new Selection.OneShot(),
        0.2,
        0.3,
        true,
        Recovery.NONE);
  }

  /** The command line's defaults: one seed, the whole pool, α = 0.5, hies at {@code sparsity}. */
  public static PruneOptions cli(double sparsity) {
    return defaults().toBuilder()
        .criteria(List.of(Criterion.HIES))
        .sparsities(List.of(sparsity))
        .target(Target.sparsity(sparsity))
        .seeds(1)
        .calibrationSize(null)
        .build();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Options changed by name from a starting point; validated when built. */
  public static final class Builder {
    private List<Criterion> criteria;
    private Criterion criterion;
    private List<Double> sparsities;
    private Target target;
    private Alpha alpha;
    private Normalization normalization;
    private int seeds;
    private Integer calibrationSize;
    private int maxLength;
    private int batchSize;
    private int minHeadsPerLayer;
    private Metric metric;
    private Selection selection;
    private double validationFraction;
    private double evaluationFraction;
    private boolean measureLatency;
    private Recovery recovery;

    private Builder(PruneOptions from) {
      criteria = from.criteria;
      criterion = from.criterion;
      sparsities = from.sparsities;
      target = from.target;
      alpha = from.alpha;
      normalization = from.normalization;
      seeds = from.seeds;
      calibrationSize = from.calibrationSize;
      maxLength = from.maxLength;
      batchSize = from.batchSize;
      minHeadsPerLayer = from.minHeadsPerLayer;
      metric = from.metric;
      selection = from.selection;
      validationFraction = from.validationFraction;
      evaluationFraction = from.evaluationFraction;
      measureLatency = from.measureLatency;
      recovery = from.recovery;
    }

    public Builder criteria(List<Criterion> value) {
      criteria = value;
      return this;
    }

    public Builder criterion(Criterion value) {
      criterion = value;
      return this;
    }

    public Builder sparsities(List<Double> value) {
      sparsities = value;
      return this;
    }

    public Builder target(Target value) {
      target = value;
      return this;
    }

    public Builder alpha(Alpha value) {
      alpha = value;
      return this;
    }

    public Builder normalization(Normalization value) {
      normalization = value;
      return this;
    }

    public Builder seeds(int value) {
      seeds = value;
      return this;
    }

    public Builder calibrationSize(Integer value) {
      calibrationSize = value;
      return this;
    }

    public Builder maxLength(int value) {
      maxLength = value;
      return this;
    }

    public Builder batchSize(int value) {
      batchSize = value;
      return this;
    }

    public Builder minHeadsPerLayer(int value) {
      minHeadsPerLayer = value;
      return this;
    }

    public Builder metric(Metric value) {
      metric = value;
      return this;
    }

    public Builder selection(Selection value) {
      selection = value;
      return this;
    }

    public Builder validationFraction(double value) {
      validationFraction = value;
      return this;
    }

    public Builder evaluationFraction(double value) {
      evaluationFraction = value;
      return this;
    }

    public Builder measureLatency(boolean value) {
      measureLatency = value;
      return this;
    }

    public Builder recovery(Recovery value) {
      recovery = value;
      return this;
    }

    public PruneOptions build() {
      return new PruneOptions(
          criteria,
          criterion,
          sparsities,
          target,
          alpha,
          normalization,
          seeds,
          calibrationSize,
          maxLength,
          batchSize,
          minHeadsPerLayer,
          metric,
          selection,
          validationFraction,
          evaluationFraction,
          measureLatency,
          recovery);
    }
  }
}
