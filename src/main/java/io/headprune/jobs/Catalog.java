package io.headprune.jobs;

import io.headprune.checkpoint.Checkpoint;
import io.headprune.checkpoint.ChoiceDataset;
import io.headprune.checkpoint.Columns;
import io.headprune.checkpoint.DatasetReader;
import io.headprune.checkpoint.FiniteWeights;
import io.headprune.checkpoint.ImageDataset;
import io.headprune.checkpoint.Json;
import io.headprune.checkpoint.Labels;
import io.headprune.checkpoint.Tables;
import io.headprune.checkpoint.Tasks;
import io.headprune.hub.HubClient;
import io.headprune.hub.HubSettings;
import io.headprune.hub.RepoType;
import io.headprune.model.Models;
import io.headprune.problem.BusyException;
import io.headprune.problem.ConflictException;
import io.headprune.problem.Deadline;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
import io.headprune.scoring.Inputs;
import io.headprune.storage.ArchiveLimits;
import io.headprune.storage.Archives;
import io.headprune.storage.ArtifactStore;
import io.headprune.tenancy.Audit;
import io.headprune.tenancy.Caller;
import io.headprune.tenancy.Quotas;
import io.headprune.tenancy.Tenants;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

/**
 * Uploaded models and datasets, content-addressed: the same bytes give the same id. Nothing
 * half-written survives a rejected upload, and a rejected upload creates no row.
 */
@Service
public class Catalog {

  private final Repositories.Models models;
  private final Repositories.Datasets datasets;
  private final ArtifactStore store;
  private final ArchiveLimits archiveLimits;
  private final DatasetReader.Limits datasetLimits;
  private final Clock clock;
  private final HubClient hub;

  /**
   * Locks of uploads by content (and, taken before them, by archive bytes): a fixed set of stripes,
   * so that memory does not grow with every distinct upload; two contents that share a stripe only
   * wait for each other. Archive and content locks have stripes of their own, always taken in that
   * order, so no two uploads can wait on each other's stripes in a circle.
   */
  private final Object[] archiveLocks = stripes(256);

  private final Object[] contentLocks = stripes(256);

  private static Object[] stripes(int count) {
    Object[] stripes = new Object[count];
    Arrays.setAll(stripes, i -> new Object());
    return stripes;
  }

  private final Repositories.JobRows jobRows;
  private final Quotas quotas;
  private final Tenants tenants;
  private final Audit audit;
  private final TransactionTemplate transactions;
  private final Duration validationTimeout;
  private final int validationSlots;
  private final Semaphore validations;

  Catalog(
      Repositories.Models models,
      Repositories.Datasets datasets,
      Repositories.JobRows jobRows,
      ArtifactStore store,
      ArchiveLimits archiveLimits,
      DatasetReader.Limits datasetLimits,
      Clock clock,
      HubClient hub,
      Quotas quotas,
      Audit audit,
      TransactionTemplate transactions,
      Tenants tenants,
      @Value("${headprune.upload.validation-timeout:2m}") Duration validationTimeout,
      @Value("${headprune.upload.concurrent-validations:2}") int concurrentValidations) {
    if (concurrentValidations < 1) {
      throw new IllegalArgumentException(
          "headprune.upload.concurrent-validations must be at least 1, not "
              + concurrentValidations);
    }
    this.validationTimeout = validationTimeout;
    this.validationSlots = concurrentValidations;
    this.validations = new Semaphore(concurrentValidations, true);
    this.tenants = tenants;
    this.jobRows = jobRows;
    this.quotas = quotas;
    this.audit = audit;
    this.transactions = transactions;
    this.hub = hub;
    this.models = models;
    this.datasets = datasets;
    this.store = store;
    this.archiveLimits = archiveLimits;
    this.datasetLimits = datasetLimits;
    this.clock = clock;
  }

  /**
   * Stores an uploaded model archive (.zip or .tar.gz of a model directory) after validating it.
   */
  public Stored<ModelView> uploadModel(InputStream content, String filename) {
    return uploadModel(content, filename, null);
  }

  /** What an uploaded model may be called: a Hub id or a plain name. */
  private static final Pattern MODEL_NAME =
      Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N} ._/-]{0,127}");

  /** What a name must be, as the refusal says it. */
  private static String nameRule(String kind) {
    return kind
        + " name must be 1 to 128 letters, digits, spaces and . _ - /, starting with a letter or"
        + " digit";
  }

  /** As below, unnamed and without labels. */
  public Stored<ModelView> uploadModel(InputStream content, String filename, String name) {
    return uploadModel(content, filename, name, null);
  }

  /**
   * As above, calling the model {@code name} (null: unnamed) with {@code labels} (a JSON object's
   * text, null: none). The same bytes uploaded again answer with the stored model, which takes the
   * name and labels if it had none.
   */
  public Stored<ModelView> uploadModel(
      InputStream content, String filename, String name, String labels) {
    if (filename == null || !Archives.isArchive(filename)) {
      throw new InvalidInputException(
          "model upload '" + filename + "' must be a .zip or .tar.gz of a model directory");
    }
    Described given = checkedDescription("model", name, labels);
    String tenant = Caller.current().tenant();
    quotas.checkUploadRate(tenant);
    Path archive = store.incoming();
    Path extracted = store.incoming();
    try {
      String archiveSha256 = ArtifactStore.copyHashing(content, archive);
      synchronized (lockFor(tenant, "archive:" + archiveSha256)) {
        // the very same bytes again: answered without extracting them
        var sameArchive = models.findFirstByTenantAndArchiveSha256(tenant, archiveSha256);
        if (sameArchive.isPresent()) {
          return new Stored<>(ModelView.of(describeExisting(sameArchive.get(), given)), false);
        }
        var validated =
            validating(
                "model upload",
                () -> {
                  Archives.extract(archive, filename, extracted, archiveLimits);
                  Path checked = modelRoot(extracted);
                  return Map.entry(checked, validateModel(checked));
                });
        Path root = validated.getKey();
        // the identity is the content: the same files archived anew are the same model
        String sha256 = ArtifactStore.contentSha256(root);
        synchronized (lockFor(tenant, sha256)) {
          var existing = models.findByTenantAndSha256(tenant, sha256);
          if (existing.isPresent()) {
            return new Stored<>(ModelView.of(describeExisting(existing.get(), given)), false);
          }
          ModelEntity entity = validated.getValue();
          entity.id = UUID.randomUUID();
          // a directory of its own per upload: a racing replica never deletes or overwrites
          // another's files
          Path target = store.model(sha256 + "-" + entity.id);
          Files.move(root, target, StandardCopyOption.ATOMIC_MOVE);
          entity.tenant = tenant;
          entity.sha256 = sha256;
          entity.archiveSha256 = archiveSha256;
          entity.source = "upload";
          entity.name = name;
          entity.labels = ResourceLabels.json(given.labels());
          entity.storagePath = store.uri(target);
          entity.bytes = ArtifactStore.size(target);
          entity.createdAt = clock.instant();
          return saveOnce(
              entity,
              entity.bytes,
              models,
              sha -> models.findByTenantAndSha256(tenant, sha),
              sha256,
              target,
              ModelView::of,
              "model.upload",
              e -> e.id);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("storing model upload", e);
    } finally {
      ArtifactStore.delete(archive);
      ArtifactStore.delete(extracted);
    }
  }

  /** A stored model uploaded again: it takes the name and labels given where it has none. */
  private ModelEntity describeExisting(ModelEntity model, Described given) {
    Described current = new Described(model.name, ResourceLabels.read(model.labels));
    Described kept = current.keptOver(given);
    if (!kept.equals(current)) {
      model.name = kept.name();
      model.labels = ResourceLabels.json(kept.labels());
      transactions.executeWithoutResult(status -> models.save(model));
    }
    return model;
  }

  /**
   * Inserts {@code entity} (201) if the tenant's quotas admit {@code bytes} more, with its audit
   * row, in one transaction; or, when another replica stored the same bytes for the tenant first,
   * answers with its row (200). Either way this upload's own files ({@code target}) go unless they
   * became the row's.
   */
  private <E, V> Stored<V> saveOnce(
      E entity,
      long bytes,
      JpaRepository<E, UUID> rows,
      Function<String, Optional<E>> bySha256,
      String sha256,
      Path target,
      Function<E, V> view,
      String action,
      Function<E, UUID> id) {
    String tenant = Caller.current().tenant();
    try {
      E saved =
          transactions.execute(
              status -> {
                quotas.admitUpload(tenant, bytes);
                E row = rows.saveAndFlush(entity);
                audit.record(action, id.apply(row));
                return row;
              });
      return new Stored<>(view.apply(saved), true);
    } catch (DataIntegrityViolationException raced) {
      ArtifactStore.delete(target);
      return new Stored<>(view.apply(bySha256.apply(sha256).orElseThrow(() -> raced)), false);
    } catch (RuntimeException refused) {
      ArtifactStore.delete(target);
      throw refused;
    }
  }

  /**
   * Uploads of the same bytes by one tenant take turns in this instance, so all but the first
   * answer 200 at once.
   */
  private Object lockFor(String tenant, String sha256) {
    Object[] stripes = sha256.startsWith("archive:") ? archiveLocks : contentLocks;
    return stripes[Math.floorMod((tenant + "/" + sha256).hashCode(), stripes.length)];
  }

  /** The directory holding config.json: the archive root, or its single top-level directory. */
  private static Path modelRoot(Path extracted) throws IOException {
    if (Files.isRegularFile(extracted.resolve("config.json"))) {
      return extracted;
    }
    List<Path> children;
    try (var list = Files.list(extracted)) {
      children = list.toList();
    }
    if (children.size() == 1 && Files.isRegularFile(children.get(0).resolve("config.json"))) {
      return children.get(0);
    }
    throw new InvalidInputException(
        "archive has no config.json at its root or in a single top-level directory");
  }

  /**
   * Runs an upload's validation {@code work} within {@code headprune.upload.validation-timeout}:
   * past it the work stops with a 422, and the caller's cleanup removes what it wrote.
   */
  private <T> T validating(String what, Validation<T> work) {
    // validations take turns: what one holds in memory (a safetensors header, an image being
    // decoded, a tokenizer being built) times the uploads at once stays bounded
    try {
      if (!validations.tryAcquire(validationTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new BusyException(
            "the server is validating "
                + validationSlots
                + " other uploads (headprune.upload.concurrent-validations) and none finished"
                + " within headprune.upload.validation-timeout; retry later",
            30);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BusyException("the server is shutting down", 30);
    }
    try {
      return validate(what, work);
    } finally {
      validations.release();
    }
  }

  private <T> T validate(String what, Validation<T> work) {
    return Deadline.within(
        validationTimeout,
        clock,
        "validating the " + what,
        "headprune.upload.validation-timeout",
        () -> {
          try {
            return work.run();
          } catch (IOException e) {
            throw new UncheckedIOException("validating the " + what, e);
          }
        });
  }

  /** Validation work on an upload's files. */
  private interface Validation<T> {
    T run() throws IOException;
  }

  /**
   * Parses config, validates every safetensors header and every weight's shape, and reads every
   * floating-point weight once (NaN and infinities refused).
   */
  static ModelEntity validateModel(Path root) {
    try (Checkpoint checkpoint = Models.open(root)) {
      Models.Description model = Models.describe(checkpoint); // every weight's shape checked
      FiniteWeights.check(checkpoint);
      Inputs.open(checkpoint, 8).close();
      ModelEntity entity = new ModelEntity();
      entity.architecture = checkpoint.config().architecture();
      entity.layers = checkpoint.config().layers();
      entity.heads = Arrays.stream(model.heads()).mapToInt(h -> h.length).sum();
      entity.parameters = model.parameters();
      return entity;
    }
  }

  /**
   * Stores an uploaded dataset after validating it: a .jsonl, .csv or .tsv file, or a .zip or
   * .tar.gz of one JSONL with the images it names.
   */
  public Stored<DatasetView> uploadDataset(InputStream content, String filename) {
    if (filename != null && Archives.isArchive(filename)) {
      return uploadImageDataset(content, filename);
    }
    String format = format(filename);
    String tenant = Caller.current().tenant();
    quotas.checkUploadRate(tenant);
    Path incoming = store.incoming();
    Path named = incoming.resolveSibling(incoming.getFileName() + "." + format);
    try {
      String sha256 = ArtifactStore.copyHashing(content, named);
      synchronized (lockFor(tenant, sha256)) {
        return storeDataset(sha256, named, filename, format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("storing dataset upload", e);
    } finally {
      ArtifactStore.delete(named);
    }
  }

  private Stored<DatasetView> storeDataset(
      String sha256, Path named, String filename, String format) throws IOException {
    String tenant = Caller.current().tenant();
    var existing = datasets.findByTenantAndSha256(tenant, sha256);
    if (existing.isPresent()) {
      return new Stored<>(DatasetView.of(existing.get()), false);
    }
    // rows under the default column names are checked now; other columns when a job maps them
    int rows =
        validating(
            "dataset upload",
            () -> {
              var first = Tables.firstRow(named, filename, datasetLimits);
              return ChoiceDataset.isChoiceDataset(named, filename, Columns.NONE)
                  ? ChoiceDataset.read(named, filename, datasetLimits).size()
                  : first != null && first.has("text")
                      ? DatasetReader.read(named, filename, null, datasetLimits).size()
                      : (int) Tables.rowCount(named, filename, datasetLimits);
            });
    if (rows == 0) {
      throw new InvalidInputException("dataset " + filename + " is empty: it has no examples");
    }
    return saveDataset(tenant, sha256, format, rows, named);
  }

  /**
   * Moves a validated dataset ({@code source}: a file, or an image dataset's directory) to a place
   * of its own — tenants never share (or delete) each other's files — and saves its row.
   */
  private Stored<DatasetView> saveDataset(
      String tenant, String sha256, String format, int rows, Path source) throws IOException {
    return saveDataset(tenant, sha256, format, rows, source, null);
  }

  private Stored<DatasetView> saveDataset(
      String tenant, String sha256, String format, int rows, Path source, String origin)
      throws IOException {
    DatasetEntity entity = new DatasetEntity();
    entity.id = UUID.randomUUID();
    Path target = store.dataset(sha256 + "-" + entity.id, format);
    Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    entity.tenant = tenant;
    entity.sha256 = sha256;
    entity.format = format;
    entity.rows = rows;
    entity.storagePath = store.uri(target);
    entity.bytes = ArtifactStore.size(target);
    entity.createdAt = clock.instant();
    entity.origin = origin;
    return saveOnce(
        entity,
        entity.bytes,
        datasets,
        sha -> datasets.findByTenantAndSha256(tenant, sha),
        sha256,
        target,
        DatasetView::of,
        "dataset.upload",
        e -> e.id);
  }

  /** The format of an image dataset: a directory holding {@link #IMAGE_JSONL} and its images. */
  static final String IMAGES = "images";

  /** The name the JSONL of a stored image dataset gets. */
  static final String IMAGE_JSONL = "dataset.jsonl";

  private Stored<DatasetView> uploadImageDataset(InputStream content, String filename) {
    String tenant = Caller.current().tenant();
    quotas.checkUploadRate(tenant);
    Path archive = store.incoming();
    Path extracted = store.incoming();
    try {
      ArtifactStore.copyHashing(content, archive);
      Path jsonl =
          validating(
              "image dataset upload",
              () -> {
                Archives.extract(archive, filename, extracted, archiveLimits);
                return imageJsonl(extracted);
              });
      int rows =
          validating("image dataset upload", () -> ImageDataset.validate(jsonl, datasetLimits));
      Path root = jsonl.getParent();
      Files.move(jsonl, root.resolve(IMAGE_JSONL), StandardCopyOption.ATOMIC_MOVE);
      // the identity is the content (the JSONL under its stored name and the images), so the same
      // files archived anew are the same dataset
      String sha256 = ArtifactStore.contentSha256(root);
      synchronized (lockFor(tenant, sha256)) {
        var existing = datasets.findByTenantAndSha256(tenant, sha256);
        if (existing.isPresent()) {
          return new Stored<>(DatasetView.of(existing.get()), false);
        }
        return saveDataset(tenant, sha256, IMAGES, rows, root);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("storing dataset upload", e);
    } finally {
      ArtifactStore.delete(archive);
      ArtifactStore.delete(extracted);
    }
  }

  /** The one .jsonl file at the archive's root or in its single top-level directory. */
  private static Path imageJsonl(Path extracted) throws IOException {
    Path root = extracted;
    List<Path> children;
    try (var list = Files.list(extracted)) {
      children = list.toList();
    }
    if (children.size() == 1 && Files.isDirectory(children.get(0))) {
      root = children.get(0);
      try (var list = Files.list(root)) {
        children = list.toList();
      }
    }
    List<Path> jsonl =
        children.stream()
            .filter(
                p ->
                    Files.isRegularFile(p)
                        && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl"))
            .toList();
    if (jsonl.size() != 1) {
      throw new InvalidInputException(
          "an image dataset archive must hold exactly one .jsonl file at its root (found "
              + jsonl.size()
              + ")");
    }
    return jsonl.get(0);
  }

  private static String format(String filename) {
    if (Tables.format(filename) == null) {
      throw new InvalidInputException(
          "dataset upload '"
              + filename
              + "' must be a .jsonl, .json, .csv or .tsv file (each optionally .gz or .zst), a"
              + " .parquet file, or a .zip or .tar.gz of a JSONL with its images");
    }
    return Tables.suffix(filename);
  }

  /**
   * Deletes a model and its files; 409 while a queued or running job uses it. Finished jobs keep
   * their history and lose the link.
   */
  @Transactional
  public void deleteModel(UUID id) {
    ModelEntity model =
        models
            .lockById(id, Caller.current().tenant())
            .orElseThrow(() -> new NotFoundException("model does not exist"));
    List<UUID> users = jobRows.activeWithModel(id, PageRequest.of(0, 1));
    refuseWhileUsed("model", id, users);
    models.delete(model);
    audit.record("model.delete", id);
    deleteAfterCommit(store.resolve(model.storagePath));
  }

  /** Deletes a dataset and its files; 409 while a queued or running job uses it. */
  @Transactional
  public void deleteDataset(UUID id) {
    DatasetEntity dataset =
        datasets
            .lockById(id, Caller.current().tenant())
            .orElseThrow(() -> new NotFoundException("dataset does not exist"));
    List<UUID> users = jobRows.activeWithDataset(id, PageRequest.of(0, 1));
    refuseWhileUsed("dataset", id, users);
    datasets.delete(dataset);
    audit.record("dataset.delete", id);
    deleteAfterCommit(store.resolve(dataset.storagePath));
  }

  /** 409 while a queued or running job uses the model or dataset about to be deleted. */
  private static void refuseWhileUsed(String kind, UUID id, List<UUID> users) {
    if (!users.isEmpty()) {
      throw new ConflictException(
          kind
              + " "
              + id
              + " is used by job "
              + users.get(0)
              + ", which is queued or running; cancel it or wait for it to finish");
    }
  }

  /** Files go once the rows are gone for good: a rolled-back delete keeps both. */
  private static void deleteAfterCommit(Path path) {
    TransactionSynchronizationManager.registerSynchronization(
        new TransactionSynchronization() {
          @Override
          public void afterCommit() {
            ArtifactStore.delete(path);
          }
        });
  }

  /** One of the caller's stored models. */
  public ModelView model(UUID id) {
    return ModelView.of(
        models
            .findByIdAndTenant(id, Caller.current().tenant())
            .orElseThrow(() -> new NotFoundException("model does not exist")));
  }

  /**
   * The caller's models named {@code name} (null: any) that carry every label of {@code labels}
   * ({@code key=value} filters), newest first.
   */
  public Page<ModelView> models(String name, List<String> labels, int page, int size) {
    return search(models::search, name, labels, page, size).map(ModelView::of);
  }

  /** The caller's datasets, as {@link #models} lists models. */
  public Page<DatasetView> datasets(String name, List<String> labels, int page, int size) {
    return search(datasets::search, name, labels, page, size).map(DatasetView::of);
  }

  /** A repository's search by tenant, name and labels (a JSON object). */
  private interface Search<E> {
    Page<E> find(String tenant, String name, String labels, Pageable page);
  }

  private static <E> Page<E> search(
      Search<E> search, String name, List<String> labels, int page, int size) {
    return search.find(
        Caller.current().tenant(),
        name,
        ResourceLabels.json(ResourceLabels.selector(labels)),
        PageRequest.of(page, size));
  }

  /**
   * What a name and labels update says (a JSON merge patch, RFC 7396): {@code name} set, or removed
   * by null; {@code labels} merged key by key, a key with null removed.
   */
  record Described(String name, Map<String, String> labels) {

    /**
     * What content uploaded again ends with: this name and these labels where there are any, else
     * those {@code given} with the upload.
     */
    Described keptOver(Described given) {
      return new Described(
          name != null ? name : given.name(), labels.isEmpty() ? given.labels() : labels);
    }
  }

  /**
   * Applies a JSON merge patch of {@code name} and {@code labels} to {@code current}; any other
   * member is refused by name.
   */
  static Described patched(String kind, Described current, JsonNode patch) {
    if (patch == null || !patch.isObject()) {
      throw new InvalidInputException(
          "the body must be a JSON object with name and/or labels (a JSON merge patch)");
    }
    String name = current.name();
    Map<String, String> labels = new TreeMap<>(current.labels());
    for (var member : patch.properties()) {
      JsonNode value = member.getValue();
      switch (member.getKey()) {
        case "name" -> {
          if (value.isNull()) {
            name = null;
          } else if (value.isString() && MODEL_NAME.matcher(value.asString()).matches()) {
            name = value.asString();
          } else {
            throw new InvalidInputException(nameRule(kind));
          }
        }
        case "labels" -> {
          if (value.isNull()) {
            labels.clear();
            continue;
          }
          if (!value.isObject()) {
            throw new InvalidInputException("labels must be a JSON object of strings (or null)");
          }
          for (var label : value.properties()) {
            if (label.getValue().isNull()) {
              labels.remove(label.getKey());
            } else if (label.getValue().isString()) {
              labels.put(label.getKey(), label.getValue().asString());
            } else {
              throw new InvalidInputException(
                  "labels '" + label.getKey() + "' must be a string or null");
            }
          }
        }
        default ->
            throw new InvalidInputException(
                "'" + member.getKey() + "' cannot be changed: only name and labels can");
      }
    }
    return new Described(name, ResourceLabels.checked(labels, "labels"));
  }

  /** Changes a model's name and labels ({@link #patched}). */
  public ModelView describeModel(UUID id, JsonNode patch) {
    String tenant = Caller.current().tenant();
    return transactions.execute(
        status -> {
          ModelEntity model =
              models
                  .lockById(id, tenant)
                  .orElseThrow(() -> new NotFoundException("model does not exist"));
          Described described =
              patched("model", new Described(model.name, ResourceLabels.read(model.labels)), patch);
          model.name = described.name();
          model.labels = ResourceLabels.json(described.labels());
          audit.record("model.describe", id);
          return ModelView.of(models.save(model));
        });
  }

  /** Changes a dataset's name and labels ({@link #patched}). */
  public DatasetView describeDataset(UUID id, JsonNode patch) {
    String tenant = Caller.current().tenant();
    return transactions.execute(
        status -> {
          DatasetEntity dataset =
              datasets
                  .lockById(id, tenant)
                  .orElseThrow(() -> new NotFoundException("dataset does not exist"));
          Described described =
              patched(
                  "dataset",
                  new Described(dataset.name, ResourceLabels.read(dataset.labels)),
                  patch);
          dataset.name = described.name();
          dataset.labels = ResourceLabels.json(described.labels());
          audit.record("dataset.describe", id);
          return DatasetView.of(datasets.save(dataset));
        });
  }

  /**
   * Gives a just-uploaded dataset {@code name} and {@code labels} (a JSON object's text) where it
   * has none: a new upload takes them, the same bytes again keep what they were given first.
   */
  public Stored<DatasetView> describeUpload(
      Stored<DatasetView> stored, String name, String labels) {
    Described given = checkedDescription("dataset", name, labels);
    if (given.name() == null && given.labels().isEmpty()) {
      return stored;
    }
    return new Stored<>(describeStored(stored.value().id(), given), stored.created());
  }

  /** A Hub dataset a job stored ({@code id}) given a job request's name and labels (as above). */
  private UUID described(UUID id, Described given) {
    if (given != null && (given.name() != null || !given.labels().isEmpty())) {
      describeStored(id, given);
    }
    return id;
  }

  private DatasetView describeStored(UUID id, Described given) {
    String tenant = Caller.current().tenant();
    return transactions.execute(
        status -> {
          DatasetEntity dataset = datasets.lockById(id, tenant).orElseThrow();
          Described kept =
              new Described(dataset.name, ResourceLabels.read(dataset.labels)).keptOver(given);
          dataset.name = kept.name();
          dataset.labels = ResourceLabels.json(kept.labels());
          return DatasetView.of(datasets.save(dataset));
        });
  }

  /** Refuses an upload's name or labels (labels: a JSON object's text) that are not allowed. */
  public static void checkDescription(String kind, String name, String labels) {
    checkedDescription(kind, name, labels);
  }

  /** A name and labels as an upload gives them (labels: a JSON object's text), checked. */
  static Described checkedDescription(String kind, String name, String labels) {
    if (name != null && !MODEL_NAME.matcher(name).matches()) {
      throw new InvalidInputException(nameRule(kind));
    }
    return new Described(name, ResourceLabels.parse(labels));
  }

  /** One of the caller's stored datasets. */
  public DatasetView dataset(UUID id) {
    return DatasetView.of(
        datasets
            .findByIdAndTenant(id, Caller.current().tenant())
            .orElseThrow(() -> new NotFoundException("dataset does not exist")));
  }

  /**
   * One of the caller's models that a job is about to use, share-locked until the job row is
   * committed.
   */
  ModelEntity modelForJob(UUID id) {
    return models
        .findByIdAndTenant(id, Caller.current().tenant())
        .orElseThrow(() -> new NotFoundException("the model (model.id) does not exist"));
  }

  /**
   * Share-locks the caller's model {@code id} until the job that reads it is committed, so that a
   * concurrent delete sees the job (409); a model deleted since the submission was checked is a
   * 404. In the submission's transaction.
   */
  void shareModel(UUID id) {
    models
        .shareById(id, Caller.current().tenant())
        .orElseThrow(() -> new NotFoundException("the model (model.id) does not exist"));
  }

  /** As {@link #shareModel}, for a dataset the job reads as {@code role}. */
  void shareDataset(UUID id, String role) {
    datasets
        .shareById(id, Caller.current().tenant())
        .orElseThrow(
            () ->
                new NotFoundException("the " + role + " dataset (" + role + ".id) does not exist"));
  }

  // by an id already checked for the tenant: a claimed job's, or one this submission resolved
  ModelEntity modelEntity(UUID id) {
    return models.findById(id).orElseThrow(() -> new NotFoundException("model does not exist"));
  }

  DatasetEntity datasetEntity(UUID id) {
    return datasets.findById(id).orElseThrow(() -> new NotFoundException("dataset does not exist"));
  }

  /** The id of an uploaded dataset, or of a Hub dataset file downloaded and stored now. */
  UUID datasetId(JobRequest.DatasetRef ref, String role) {
    if ((ref.id() == null) == (ref.hub() == null)) {
      throw new InvalidInputException(
          role
              + " takes an \"id\" or a \"hub\" dataset repository with a \"split\" or a"
              + " \"file\"");
    }
    if (ref.id() != null
        && (ref.file() != null
            || ref.split() != null
            || ref.config() != null
            || ref.revision() != null
            || ref.rows() != null)) {
      throw new InvalidInputException(
          role + ": file, split, config, revision and rows apply to a \"hub\" dataset only");
    }
    if (ref.id() != null && (ref.name() != null || ref.labels() != null)) {
      throw new InvalidInputException(
          role
              + ": name and labels apply to a \"hub\" dataset (PATCH /v1/datasets/{id} names an"
              + " upload)");
    }
    Described given =
        ref.id() != null
            ? null
            : checkedDescription(
                "dataset",
                ref.name(),
                ref.labels() == null ? null : ResourceLabels.json(ref.labels()));
    if (ref.id() != null) {
      // share-locked later, in the submission's transaction (shareDataset)
      return datasets
          .findByIdAndTenant(ref.id(), Caller.current().tenant())
          .orElseThrow(
              () ->
                  new NotFoundException(
                      "the " + role + " dataset (" + role + ".id) does not exist"))
          .id;
    }
    if ((ref.file() == null) == (ref.split() == null)) {
      throw new InvalidInputException(
          role
              + " from the Hub takes a \"split\" (and optionally a \"config\"), as"
              + " datasets.load_dataset does, or one \"file\"");
    }
    if (ref.split() != null) {
      return described(hubSplit(ref, role), given);
    }
    String repo = ref.hub().substring("datasets/".length());
    // bounded as an upload is: refused from its announced size, or as soon as more arrives
    HubClient hub = hubFor(Caller.current().tenant());
    Path file =
        hub.datasetFile(
            repo,
            ref.file(),
            ref.revision() == null ? "main" : ref.revision(),
            archiveLimits.maxExpandedBytes(),
            Set.of("jsonl", "csv", "tsv").contains(String.valueOf(Tables.suffix(ref.file())))
                ? datasetLimits.maxRows() + 1L // + a CSV header
                : Long.MAX_VALUE); // binary or compressed: bounded by bytes, rows counted on read
    try (InputStream in = Files.newInputStream(file)) {
      return described(uploadDataset(in, ref.file()).value().id(), given);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + file.getFileName(), e);
    } catch (InvalidInputException refused) {
      hub.evict(file); // a refused dataset does not stay in the cache
      throw refused;
    }
  }

  /** Rows read of a Hub split when the request does not say. */
  static final int DEFAULT_HUB_ROWS = 10_000;

  /**
   * A Hub split, resolved as datasets.load_dataset resolves it and downloaded shard by shard until
   * the rows asked for are there, stored as one dataset: a directory of its shards and a manifest
   * recording where they came from. The same commit, config, split and rows give the same id.
   */
  private UUID hubSplit(JobRequest.DatasetRef ref, String role) {
    String tenant = Caller.current().tenant();
    String repo = ref.hub().substring("datasets/".length());
    String revision = ref.revision() == null ? "main" : ref.revision();
    int rows =
        ref.rows() == null ? DEFAULT_HUB_ROWS : Math.min(ref.rows(), datasetLimits.maxRows());
    HubClient.Split split =
        hubFor(tenant)
            .datasetSplit(
                repo,
                revision,
                ref.config(),
                ref.split(),
                rows,
                archiveLimits.maxExpandedBytes(),
                datasetLimits);
    Path directory = store.incoming();
    try {
      split.materialize(directory, rows);
      String origin = Json.MAPPER.writeValueAsString(split.origin());
      String sha256 = ArtifactStore.sha256(directory.resolve(Tables.MANIFEST));
      synchronized (lockFor(tenant, sha256)) {
        var existing = datasets.findByTenantAndSha256(tenant, sha256);
        if (existing.isPresent()) {
          return existing.get().id;
        }
        quotas.checkUploadRate(tenant);
        return saveDataset(
                tenant, sha256, SPLIT, (int) Math.min(rows, split.rows()), directory, origin)
            .value()
            .id();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("storing Hub split " + repo + " " + ref.split(), e);
    } finally {
      ArtifactStore.delete(directory);
    }
  }

  /** The format of a stored Hub split: a directory of shards with a manifest. */
  static final String SPLIT = "split";

  /** A dataset as a job records it: its id and, for a Hub split, where it came from. */
  /** The rows of dataset {@code id} (what a job's plan counts). */
  int datasetRows(UUID id) {
    return datasetEntity(id).rows;
  }

  JobView.Dataset datasetUse(UUID id) {
    return new JobView.Dataset(id, DatasetView.of(datasetEntity(id)).origin());
  }

  /** Resolves a Hub model's revision to a commit (errors are the caller's 4xx). */
  String resolveHubModel(String repo, String revision) {
    return hubFor(Caller.current().tenant()).resolve(RepoType.MODEL, repo, revision);
  }

  /** The Hub settings of the caller's tenant: its own token (see {@link Tenants#hubToken}). */
  HubSettings hubSettings() {
    return hubFor(Caller.current().tenant()).settings();
  }

  /** The Hub as {@code tenant} sees it: with its own token (see {@link Tenants#hubToken}). */
  private HubClient hubFor(String tenant) {
    return hub.withToken(tenants.hubToken(tenant, hub.settings().token()));
  }

  /** Downloads (or finds in the cache) a Hub model snapshot. */
  Path hubModel(String tenant, String repo, String commit) {
    return hubFor(tenant).model(repo, commit).directory();
  }

  /**
   * What a pruned model's card names a stored model: the name it was uploaded with, else {@code
   * sha256:} of its upload.
   */
  String modelName(UUID id) {
    ModelEntity model = modelEntity(id);
    return model.name != null ? model.name : "sha256:" + model.sha256.trim();
  }

  Path modelPath(UUID id) {
    return store.resolve(modelEntity(id).storagePath);
  }

  Path datasetPath(UUID id) {
    DatasetEntity entity = datasetEntity(id);
    Path stored = store.resolve(entity.storagePath);
    return IMAGES.equals(entity.format) ? stored.resolve(IMAGE_JSONL) : stored;
  }

  /**
   * Checks a dataset as a job will read it, on submission: its mapped columns are there, every
   * label is known to the model ({@code labels}; null for a language model), and a Hub split's
   * label names are the model's at the same indices unless {@code labelMapping} is by-index.
   */
  void checkData(UUID dataset, JobRequest.DatasetRef ref, Labels labels, String labelMapping) {
    DatasetEntity entity = datasetEntity(dataset);
    Path path = datasetPath(dataset);
    String name = path.getFileName().toString();
    Columns columns = new Columns(ref.columns());
    if (IMAGES.equals(entity.format)) {
      ImageDataset.read(path, name, columns, labels, datasetLimits);
    } else if (ref.task() != null) {
      Tasks.read(path, name, columns, ref.task(), datasetLimits); // every row formats
    } else if (ChoiceDataset.isChoiceDataset(path, name, columns)) {
      ChoiceDataset.read(path, name, columns, datasetLimits);
    } else if (labels == null || ref.recipe() != null && !"examples".equals(ref.recipe())) {
      var first = Tables.firstRow(path, name, datasetLimits);
      var row = columns.apply(first, name + ":1");
      if (!row.path("text").isString()) {
        throw new InvalidInputException(
            name
                + ":1: \""
                + columns.source("text")
                + "\" is missing or not a string (the text column); the columns are "
                + Columns.names(first));
      }
    } else {
      DatasetReader.read(path, name, columns, labels, datasetLimits);
    }
    if (labels != null && !"by-index".equals(labelMapping) && entity.origin != null) {
      DatasetView.HubOrigin origin = DatasetView.of(entity).origin();
      List<String> names = origin.labelNames().get(columns.source("label"));
      if (names != null) {
        labels.checkNames(
            names, origin.repo() + " (" + origin.config() + "/" + origin.split() + ")");
      }
    }
  }
}
