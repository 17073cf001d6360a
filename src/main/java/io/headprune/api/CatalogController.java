package io.headprune.api;

import io.headprune.jobs.Catalog;
import io.headprune.jobs.DatasetView;
import io.headprune.jobs.ModelView;
import io.headprune.jobs.Stored;
import io.headprune.problem.InvalidInputException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.annotation.Nullable;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartRequest;
import tools.jackson.databind.JsonNode;

/** Uploaded models and datasets: content-addressed, so the same bytes give the same id. */
@RestController
@ConditionalOnExpression("'${headprune.role:both}' != 'worker'")
@Tag(name = "models and datasets", description = "Uploads, content-addressed by SHA-256")
class CatalogController {

  private final Catalog catalog;

  CatalogController(Catalog catalog) {
    this.catalog = catalog;
  }

  @Operation(
      operationId = "uploadModel",
      summary = "Upload a model (.zip or .tar.gz of a Hugging Face model directory)",
      description = "201 for new bytes; the same bytes again give 200 and the same id.")
  @ApiResponse(
      responseCode = "201",
      description = "Stored: new bytes",
      headers =
          @Header(
              name = "Location",
              description = "/v1/models/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ModelView.class)))
  @ApiResponse(
      responseCode = "200",
      description = "These bytes were stored already: the same model",
      headers =
          @Header(
              name = "Location",
              description = "/v1/models/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ModelView.class)))
  @PostMapping(
      value = "/v1/models",
      consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<ModelView> uploadModel(
      @RequestPart("file") MultipartFile file,
      @Parameter(hidden = true) MultipartRequest parts,
      @Parameter(
              description =
                  "what the model is called (e.g. its Hub id, org/name): the pruned model's card"
                      + " names it as its base model; 1 to 128 letters, digits, spaces and . _ - /")
          @RequestPart(value = "name", required = false)
          String name,
      @Parameter(description = LABELS_PART) @RequestPart(value = "labels", required = false)
          String labels)
      throws IOException {
    return store(
        parts,
        file,
        (in, filename) -> catalog.uploadModel(in, filename, name, labels),
        model -> "/v1/models/" + model.id());
  }

  private static final String LABELS_PART =
      "labels to find it by: a JSON object of strings, e.g. {\"team\":\"nlp\",\"run\":\"2041\"};"
          + " at most 32; keys 1 to 63 letters, digits and . _ - /; values at most 256 characters."
          + " The same bytes uploaded again keep the name and labels they were first given";

  @Operation(
      operationId = "listModels",
      summary = "The stored models, newest first, optionally by name and labels")
  @GetMapping(value = "/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
  ModelPage models(
      @Parameter(description = "only models of this name") @RequestParam(required = false)
          String name,
      @Parameter(description = LABEL_FILTER) @RequestParam(name = "label", required = false)
          List<String> label,
      @RequestParam(defaultValue = "0")
          @Min(value = 0, message = "page must be non-negative")
          @Max(value = 1_000_000, message = "page must be at most 1000000")
          int page,
      @RequestParam(defaultValue = "20")
          @Min(value = 1, message = "size must be at least 1")
          @Max(value = 200, message = "size must be at most 200")
          int size) {
    var result = catalog.models(name, label, page, size);
    return new ModelPage(
        result.getContent(), page, size, result.getTotalElements(), result.getTotalPages());
  }

  static final String LABEL_FILTER =
      "key=value: only those carrying this label (repeat it: every one must match)";

  /**
   * One page of models.
   *
   * @param items the models, newest first
   * @param page page index (from 0)
   * @param size page size
   * @param totalItems models matching the filter
   * @param totalPages pages
   */
  record ModelPage(List<ModelView> items, int page, int size, long totalItems, int totalPages) {}

  /**
   * One page of datasets.
   *
   * @param items the datasets, newest first
   * @param page page index (from 0)
   * @param size page size
   * @param totalItems datasets matching the filter
   * @param totalPages pages
   */
  record DatasetPage(
      List<DatasetView> items, int page, int size, long totalItems, int totalPages) {}

  @Operation(
      operationId = "describeModel",
      summary = "Change a model's name and labels",
      description =
          "A JSON merge patch (RFC 7396): {\"name\": …} sets the name (null removes it);"
              + " {\"labels\": {\"k\": \"v\", \"old\": null}} sets k and removes old (labels: null"
              + " removes them all). Nothing else can change.")
  @PatchMapping(
      value = "/v1/models/{id}",
      consumes = {"application/merge-patch+json", MediaType.APPLICATION_JSON_VALUE},
      produces = MediaType.APPLICATION_JSON_VALUE)
  ModelView describeModel(
      @PathVariable UUID id,
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content = @Content(schema = @Schema(implementation = Description.class)))
          @org.springframework.web.bind.annotation.RequestBody
          JsonNode patch) {
    return catalog.describeModel(id, patch);
  }

  /**
   * What a merge patch of a model or dataset may hold.
   *
   * @param name the new name, or null to remove it
   * @param labels labels to set (a null value removes that key), or null to remove them all
   */
  @Schema(additionalProperties = Schema.AdditionalPropertiesValue.FALSE)
  record Description(@Nullable String name, @Nullable Map<String, String> labels) {}

  @Operation(operationId = "getModel", summary = "A stored model")
  @GetMapping(value = "/v1/models/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  ModelView model(@PathVariable UUID id) {
    return catalog.model(id);
  }

  @Operation(
      operationId = "deleteModel",
      summary = "Delete a model and its files",
      description =
          "204; 409 while a queued or running job uses it. Finished jobs keep their history.")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @DeleteMapping("/v1/models/{id}")
  ResponseEntity<Void> deleteModel(@PathVariable UUID id) {
    catalog.deleteModel(id);
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "uploadDataset",
      summary =
          "Upload a dataset (.jsonl, .csv or .tsv; images: .zip or .tar.gz of a JSONL and its images)",
      description =
          "Text: one example a line or row. Images (image classifiers): an archive holding one JSONL of {\"image\": "
              + "\"<path relative to the JSONL>\", \"label\": …} and the PNG or JPEG files it names; every image is "
              + "decoded to check it. 201 for new bytes; the same bytes again give 200 and the same id.")
  @ApiResponse(
      responseCode = "201",
      description = "Stored: new bytes",
      headers =
          @Header(
              name = "Location",
              description = "/v1/datasets/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = DatasetView.class)))
  @ApiResponse(
      responseCode = "200",
      description = "These bytes were stored already: the same dataset",
      headers =
          @Header(
              name = "Location",
              description = "/v1/datasets/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = DatasetView.class)))
  @PostMapping(
      value = "/v1/datasets",
      consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<DatasetView> uploadDataset(
      @RequestPart("file") MultipartFile file,
      @Parameter(hidden = true) MultipartRequest parts,
      @Parameter(
              description =
                  "what the dataset is called: 1 to 128 letters, digits, spaces and . _ - /")
          @RequestPart(value = "name", required = false)
          String name,
      @Parameter(description = LABELS_PART) @RequestPart(value = "labels", required = false)
          String labels)
      throws IOException {
    Catalog.checkDescription("dataset", name, labels); // before the bytes are read
    return store(
        parts,
        file,
        (in, filename) -> catalog.describeUpload(catalog.uploadDataset(in, filename), name, labels),
        dataset -> "/v1/datasets/" + dataset.id());
  }

  @Operation(
      operationId = "listDatasets",
      summary = "The stored datasets, newest first, optionally by name and labels")
  @GetMapping(value = "/v1/datasets", produces = MediaType.APPLICATION_JSON_VALUE)
  DatasetPage datasets(
      @Parameter(description = "only datasets of this name") @RequestParam(required = false)
          String name,
      @Parameter(description = LABEL_FILTER) @RequestParam(name = "label", required = false)
          List<String> label,
      @RequestParam(defaultValue = "0")
          @Min(value = 0, message = "page must be non-negative")
          @Max(value = 1_000_000, message = "page must be at most 1000000")
          int page,
      @RequestParam(defaultValue = "20")
          @Min(value = 1, message = "size must be at least 1")
          @Max(value = 200, message = "size must be at most 200")
          int size) {
    var result = catalog.datasets(name, label, page, size);
    return new DatasetPage(
        result.getContent(), page, size, result.getTotalElements(), result.getTotalPages());
  }

  @Operation(
      operationId = "describeDataset",
      summary = "Change a dataset's name and labels",
      description = "A JSON merge patch, as for a model.")
  @PatchMapping(
      value = "/v1/datasets/{id}",
      consumes = {"application/merge-patch+json", MediaType.APPLICATION_JSON_VALUE},
      produces = MediaType.APPLICATION_JSON_VALUE)
  DatasetView describeDataset(
      @PathVariable UUID id,
      @io.swagger.v3.oas.annotations.parameters.RequestBody(
              content = @Content(schema = @Schema(implementation = Description.class)))
          @org.springframework.web.bind.annotation.RequestBody
          JsonNode patch) {
    return catalog.describeDataset(id, patch);
  }

  @Operation(operationId = "getDataset", summary = "A stored dataset")
  @GetMapping(value = "/v1/datasets/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  DatasetView dataset(@PathVariable UUID id) {
    return catalog.dataset(id);
  }

  @Operation(
      operationId = "deleteDataset",
      summary = "Delete a dataset and its files",
      description =
          "204; 409 while a queued or running job uses it. Finished jobs keep their history.")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @DeleteMapping("/v1/datasets/{id}")
  ResponseEntity<Void> deleteDataset(@PathVariable UUID id) {
    catalog.deleteDataset(id);
    return ResponseEntity.noContent().build();
  }

  private static <T> ResponseEntity<T> store(
      MultipartRequest parts,
      MultipartFile file,
      BiFunction<InputStream, String, Stored<T>> upload,
      Function<T, String> location)
      throws IOException {
    int files = parts.getFiles("file").size();
    if (files > 1) { // which one was meant?
      throw new InvalidInputException("the upload has " + files + " parts named file; send one");
    }
    Stored<T> stored;
    try (InputStream in = file.getInputStream()) {
      stored = upload.apply(in, file.getOriginalFilename());
    }
    return ResponseEntity.status(stored.created() ? HttpStatus.CREATED : HttpStatus.OK)
        .location(URI.create(location.apply(stored.value())))
        .body(stored.value());
  }
}
