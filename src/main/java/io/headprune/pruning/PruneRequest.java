package io.headprune.pruning;

import ai.djl.Device;
import io.headprune.checkpoint.DataSource;
import io.headprune.problem.InvalidInputException;
import io.headprune.progress.Progress;
import io.headprune.progress.StopToken;
import jakarta.annotation.Nullable;
import java.nio.file.Path;
import java.util.List;

/**
 * One pruning run, as {@link Pruner#prune} takes it: the model and what names it in the outputs,
 * the calibration data and the sets compared with it, the evaluation data, the options, where the
 * outputs go, the device and who hears of progress.
 *
 * @param modelDir a Hugging Face checkpoint directory
 * @param modelName what the reports and model cards call the model
 * @param origin where the model came from and what made its pruned version (the model cards)
 * @param calibration the calibration pool
 * @param compared calibration sets compared with it (report's {@code calibrations}): each is
 *     scored, selected and evaluated on {@code evaluation} as {@code calibration} is
 * @param evaluation the evaluation set, or null for a held-out part of the pool
 * @param options what the run does
 * @param out where the outputs are written, or null to write none
 * @param device where the model runs
 * @param progress who hears of the run's progress
 * @param stop what asks the run to stop: checked after each batch reported
 */
public record PruneRequest(
    Path modelDir,
    String modelName,
    Pruner.Origin origin,
    DataSource calibration,
    List<DataSource> compared,
    @Nullable DataSource evaluation,
    PruneOptions options,
    @Nullable Path out,
    Device device,
    Progress progress,
    StopToken stop) {

  public PruneRequest {
    compared = List.copyOf(compared);
    if (!compared.isEmpty() && evaluation == null) {
      throw new InvalidInputException(
          "comparing calibration sets needs an evaluation set that all of them are measured on;"
              + " give one (evaluation, or --eval)");
    }
  }

  /**
   * A run of {@code options} on the model in {@code modelDir}, named by its directory, on the CPU,
   * writing nothing and telling no one: the withers below change that.
   */
  public static PruneRequest of(
      Path modelDir,
      DataSource calibration,
      @Nullable DataSource evaluation,
      PruneOptions options) {
    Path file = modelDir.toAbsolutePath().normalize().getFileName();
    String name = file == null ? modelDir.toString() : file.toString();
    return new PruneRequest(
        modelDir,
        name,
        new Pruner.Origin(name, null, "headprune prune --model " + name),
        calibration,
        List.of(),
        evaluation,
        options,
        null,
        Device.cpu(),
        Progress.NONE,
        new StopToken());
  }

  /**
   * As {@link #of(Path, DataSource, DataSource, PruneOptions)}, for data files read as they are.
   */
  public static PruneRequest of(
      Path modelDir, Path calibration, @Nullable Path evaluation, PruneOptions options) {
    return of(
        modelDir,
        DataSource.of(calibration),
        evaluation == null ? null : DataSource.of(evaluation),
        options);
  }

  /** This run, its model named {@code modelName} and coming from {@code origin}. */
  public PruneRequest named(String modelName, Pruner.Origin origin) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        compared,
        evaluation,
        options,
        out,
        device,
        progress,
        stop);
  }

  /** This run, comparing its calibration data with {@code sets}. */
  public PruneRequest comparing(List<DataSource> sets) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        sets,
        evaluation,
        options,
        out,
        device,
        progress,
        stop);
  }

  /** This run, writing its outputs under {@code directory}. */
  public PruneRequest writingTo(@Nullable Path directory) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        compared,
        evaluation,
        options,
        directory,
        device,
        progress,
        stop);
  }

  /** This run, on {@code on}. */
  public PruneRequest on(Device on) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        compared,
        evaluation,
        options,
        out,
        on,
        progress,
        stop);
  }

  /** This run, telling {@code listener} of its progress. */
  public PruneRequest reporting(Progress listener) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        compared,
        evaluation,
        options,
        out,
        device,
        listener,
        stop);
  }

  /** This run, stopped when {@code token} asks (after the batch it is in). */
  public PruneRequest stoppedBy(StopToken token) {
    return new PruneRequest(
        modelDir,
        modelName,
        origin,
        calibration,
        compared,
        evaluation,
        options,
        out,
        device,
        progress,
        token);
  }
}
