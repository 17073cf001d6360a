package io.headprune.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.headprune.pruning.PruneOptions;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /v1/jobs}: everything but model and calibration (or calibrations) has a default.
 *
 * @param model the model: an uploaded id, or a Hugging Face Hub repository and revision
 * @param calibration the calibration dataset
 * @param evaluation the evaluation dataset (default: a held-out part of the calibration pool)
 * @param criteria criteria evaluated side by side (default [hies, his, random])
 * @param criterion criterion the artifact is pruned with (default hies)
 * @param sparsities sparsities evaluated (default [0.1, 0.3, 0.5])
 * @param target the artifact's sparsity, or a metric budget (default {sparsity: 0.3})
 * @param alpha HIES weight in [0, 1], or "auto" (default 0.5)
 * @param normalization global or layer (default global)
 * @param seeds seeds (default 5)
 * @param calibrationSize examples per seed (default 32)
 * @param maxLength tokens per example (default 128)
 * @param batchSize examples per pass (default 16)
 * @param minHeadsPerLayer heads each layer keeps (default 1)
 * @param metric accuracy, f1, mcc, pearson, spearman or perplexity (default: accuracy, pearson for
 *     regression, perplexity for a causal LM — accuracy on multiple-choice evaluation data)
 * @param iterative re-score after each {@code step} of sparsity instead of selecting in one shot
 *     (default false)
 * @param step sparsity pruned per iterative step (default 0.1)
 * @param selection one-shot, iterative or uniform-groups (whole key/value groups, the same number
 *     in every layer, for grouped-query models; default one-shot, or iterative when {@code
 *     iterative})
 * @param keepLoadableBy with uniform-groups, the targets the pruned config must load in, joined by
 *     '+': v4 (default) or v5 (hidden_size divisible by the heads left), and vllm-tp&lt;N&gt; (head
 *     counts vLLM shards over N GPUs), e.g. v5+vllm-tp4
 * @param callback where the terminal status is POSTed (optional)
 * @param alphaBy with alpha "auto": divergence (the lowest KL from the unpruned model's outputs on
 *     held-out pool examples, per sparsity; default) or metric (the best validation metric)
 * @param labelMapping check (default): the dataset's label names (a Hub card's class_label names)
 *     must be the model's id2label at the same indices, else 422; by-index: labels are taken as
 *     indices whatever their names
 * @param calibrations further calibration sets compared with {@code calibration} (at most 4; when
 *     {@code calibration} is absent, the first of them is the job's): each is scored on its own
 *     seeded draws, its heads selected by {@code criterion} and evaluated on {@code evaluation},
 *     which comparing needs; the report gives per sparsity each set's metric and the Jaccard
 *     between the sets' selections
 * @param name a name to find the job by (optional; names need not be unique)
 * @param labels string labels to find the job by, as models and datasets have (optional; at most
 *     32, keys of letters, digits and . _ - /)
 * @param externalId the run that submitted it elsewhere, e.g. an MLflow or Airflow run id
 *     (optional)
 * @param pool the worker pool that runs it, e.g. gpu or cpu (default headprune.jobs.default-pool)
 * @param recovery none (default) or rescale: after pruning, each kept head's output-projection
 *     columns are scaled, layer by layer, by the least-squares fit (ridge toward 1) that best
 *     reconstructs the unpruned model's attention output on the calibration tokens; the grid gains
 *     a {@code <criterion>+rescale} row per cell and the artifact is written rescaled
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRequest(
    @NotNull(message = "model is required") @Valid ModelRef model,
    @Valid DatasetRef calibration,
    @Valid DatasetRef evaluation,
    @Size(min = 1, max = 5, message = "criteria must name 1 to 5 criteria")
        List<
                @NotNull(message = "criteria holds criterion names, not null")
                @Pattern(
                    regexp = "hies|his|entropy|random|l2",
                    message =
                        "unknown criterion '${validatedValue}'; use hies, his, entropy, random or l2")
                String>
            criteria,
    @Pattern(
            regexp = "hies|his|entropy|random|l2",
            message = "unknown criterion '${validatedValue}'; use hies, his, entropy, random or l2")
        String criterion,
    @Size(min = 1, max = 20, message = "sparsities must list 1 to 20 values")
        List<
                @NotNull @DecimalMin(value = "0.0", message = "sparsity must be in [0, 1)")
                @DecimalMax(
                    value = "1.0",
                    inclusive = false,
                    message = "sparsity must be in [0, 1)")
                Double>
            sparsities,
    @Valid Target target,
    @Pattern(
            regexp = "auto|0(\\.\\d+)?|1(\\.0+)?",
            message = "alpha must be a number in [0, 1] or \"auto\"")
        String alpha,
    @Pattern(regexp = "global|layer", message = "normalization must be global or layer")
        String normalization,
    @Min(value = 1, message = "seeds must be at least 1")
        @Max(
            value = PruneOptions.MAX_SEEDS,
            message = "seeds must be at most " + PruneOptions.MAX_SEEDS)
        Integer seeds,
    @Min(value = 1, message = "calibrationSize must be at least 1")
        @Max(
            value = PruneOptions.MAX_CALIBRATION_SIZE,
            message = "calibrationSize must be at most " + PruneOptions.MAX_CALIBRATION_SIZE)
        Integer calibrationSize,
    @Min(
            value = PruneOptions.MIN_LENGTH,
            message = "maxLength must be at least " + PruneOptions.MIN_LENGTH)
        @Max(
            value = PruneOptions.MAX_LENGTH,
            message = "maxLength must be at most " + PruneOptions.MAX_LENGTH)
        Integer maxLength,
    @Min(value = 1, message = "batchSize must be at least 1")
        @Max(
            value = PruneOptions.MAX_BATCH,
            message = "batchSize must be at most " + PruneOptions.MAX_BATCH)
        Integer batchSize,
    @Min(value = 0, message = "minHeadsPerLayer must be non-negative") Integer minHeadsPerLayer,
    @Pattern(
            regexp = "accuracy|f1|mcc|pearson|spearman|perplexity|acc_norm",
            message = "metric must be accuracy, f1, mcc, pearson, spearman, perplexity or acc_norm")
        String metric,
    Boolean iterative,
    @DecimalMin(value = "0.01", message = "step must be in [0.01, 1)")
        @DecimalMax(value = "1.0", inclusive = false, message = "step must be in [0.01, 1)")
        Double step,
    @Pattern(
            regexp = "one-shot|iterative|uniform-groups",
            message = "selection must be one-shot, iterative or uniform-groups")
        String selection,
    @Pattern(
            regexp = KEEP_LOADABLE_BY,
            message =
                "keepLoadableBy must be targets joined by '+', each v4, v5 or vllm-tp<N> (e.g."
                    + " v5+vllm-tp4)")
        String keepLoadableBy,
    @Pattern(regexp = "divergence|metric", message = "alphaBy must be divergence or metric")
        String alphaBy,
    @Valid Callback callback,
    @Pattern(regexp = "check|by-index", message = "labelMapping must be check or by-index")
        String labelMapping,
    @Size(max = MAX_COMPARED, message = "calibrations compares at most 4 further sets")
        List<@NotNull(message = "calibrations holds dataset references") @Valid DatasetRef>
            calibrations,
    @Pattern(regexp = "none|rescale", message = "recovery must be none or rescale") String recovery,
    @Size(min = 1, max = 200, message = "name must be 1 to 200 characters")
        @Pattern(regexp = "[^\\p{Cntrl}]*", message = "name must hold no control characters")
        String name,
    Map<String, String> labels,
    @Size(min = 1, max = 256, message = "externalId must be 1 to 256 characters")
        @Pattern(regexp = "[^\\p{Cntrl}]*", message = "externalId must hold no control characters")
        String externalId,
    @Pattern(
            regexp = JobPools.NAME,
            message = "pool must be a pool name: lower-case letters, digits and dashes")
        String pool) {

  /** Most calibration sets a job compares with its own. */
  static final int MAX_COMPARED = 4;

  /** Deployment targets joined by '+': v4, v5, vllm-tp&lt;N&gt;. */
  static final String KEEP_LOADABLE_BY =
      "(v4|v5|vllm-tp[1-9][0-9]{0,3})(\\+(v4|v5|vllm-tp[1-9][0-9]{0,3}))*";

  /**
   * Where the job's terminal status is POSTed, signed with {@code secret} (HMAC-SHA256). The secret
   * is stored encrypted and never shown; a stored request holds the URL only.
   *
   * @param url an https URL whose host the service's allow-list names
   * @param secret 16 to 256 characters shared with the receiver
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Callback(
      @NotBlank(message = "callback.url is required")
          @Size(max = 2048, message = "callback.url is too long")
          String url,
      @Size(min = 16, max = 256, message = "callback.secret must be 16 to 256 characters")
          String secret) {}

  /**
   * A model: {@code {"id": …}} or {@code {"hub": "org/name", "revision": "main"}}.
   *
   * @param id an uploaded model's id
   * @param hub a Hugging Face Hub repository, org/name
   * @param revision branch, tag or commit (default main)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ModelRef(
      UUID id,
      @Pattern(
              regexp = "[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?",
              message = "hub must be a repository name such as org/name")
          String hub,
      @Pattern(
              regexp = "[A-Za-z0-9._/-]{1,256}",
              message = "revision is not a valid branch, tag or commit")
          String revision) {}

  /**
   * A dataset: an uploaded one, {@code {"id": …}}; a split of a Hub dataset repository, {@code
   * {"hub": "datasets/org/name", "config": "…", "split": "train"}}, found as {@code
   * datasets.load_dataset} finds it; or one file of one, {@code {"hub": …, "file": "train.jsonl"}}.
   * Columns are mapped by name and a recipe of the literature may shape the examples.
   *
   * @param id an uploaded dataset's id
   * @param hub {@code datasets/org/name}
   * @param file one file in that repository (.jsonl, .json, .csv, .tsv, maybe .gz/.zst, .parquet)
   * @param revision branch, tag or commit (default main)
   * @param config the Hub dataset's config (default: the card's default config, else "default")
   * @param split the Hub dataset's split, e.g. train, validation, test
   * @param rows rows read of a Hub split: its files are downloaded in order until they hold this
   *     many (default 10000)
   * @param columns which column is which field: text, textPair, label, context, choices, image (a
   *     nested field with dots, e.g. choices.text)
   * @param recipe examples (one per row; default), segments (random token windows of the joined
   *     text, for calibrating a causal LM), or corpus (non-overlapping windows of the joined text,
   *     for corpus perplexity)
   * @param segments with recipe segments: how many windows (default 128)
   * @param tokens with recipe segments or corpus: tokens per window (default: maxLength)
   * @param seed with recipe segments: the seed of the windows' draw (default 0)
   * @param task a multiple-choice task of lm-evaluation-harness whose prompt and choices the rows
   *     are formatted with: hellaswag, piqa, arc_easy, arc_challenge, winogrande, boolq, openbookqa
   * @param name a Hub dataset's name in the catalogue, as an upload's (the stored dataset keeps the
   *     name it has, else takes this)
   * @param labels a Hub dataset's labels in the catalogue, as an upload's (likewise)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatasetRef(
      UUID id,
      @Pattern(
              regexp = "datasets/[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?",
              message = "hub must be a dataset repository such as datasets/org/name")
          String hub,
      @Pattern(
              regexp = "[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*",
              message = "file must be a file name in the repository")
          String file,
      @Pattern(
              regexp = "[A-Za-z0-9._/-]{1,256}",
              message = "revision is not a valid branch, tag or commit")
          String revision,
      @Pattern(
              regexp = "[A-Za-z0-9][A-Za-z0-9._+-]{0,127}",
              message = "config must be a config name such as default or ARC-Easy")
          String config,
      @Pattern(
              regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
              message = "split must be a split name such as train, validation or test")
          String split,
      @Min(value = 1, message = "rows must be at least 1")
          @Max(value = 1_000_000, message = "rows must be at most 1000000")
          Integer rows,
      @Size(max = 6, message = "columns maps at most 6 fields") Map<String, String> columns,
      @Pattern(
              regexp = "examples|segments|corpus",
              message = "recipe must be examples, segments or corpus")
          String recipe,
      @Min(value = 1, message = "segments must be at least 1")
          @Max(value = 4096, message = "segments must be at most 4096")
          Integer segments,
      @Min(value = 2, message = "tokens must be at least 2")
          @Max(value = 131072, message = "tokens must be at most 131072")
          Integer tokens,
      @Min(value = 0, message = "seed must be non-negative") Long seed,
      @Pattern(
              regexp = TASKS,
              message =
                  "task must be hellaswag, piqa, arc_easy, arc_challenge, winogrande, boolq or"
                      + " openbookqa")
          String task,
      @Size(min = 1, max = 200, message = "a dataset's name must be 1 to 200 characters")
          String name,
      Map<String, String> labels) {}

  /** The multiple-choice tasks whose lm-evaluation-harness templates are built in. */
  static final String TASKS = "hellaswag|piqa|arc_easy|arc_challenge|winogrande|boolq|openbookqa";

  /**
   * The artifact's sparsity, {@code {"sparsity": 0.3}}, or budget, {@code {"maxMetricDrop": 0.01}}.
   *
   * @param sparsity share of heads pruned, in [0, 1)
   * @param maxMetricDrop largest allowed drop of the mean metric, in [0, 1] (perplexity: its
   *     relative rise)
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Target(
      @DecimalMin(value = "0.0", message = "target sparsity must be in [0, 1)")
          @DecimalMax(
              value = "1.0",
              inclusive = false,
              message = "target sparsity must be in [0, 1)")
          Double sparsity,
      @DecimalMin(value = "0.0", message = "maxMetricDrop must be in [0, 1]")
          @DecimalMax(value = "1.0", message = "maxMetricDrop must be in [0, 1]")
          Double maxMetricDrop) {}
}
