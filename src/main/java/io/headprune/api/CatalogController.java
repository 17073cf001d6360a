package io.headprune.api;

import io.headprune.jobs.Catalog;
import io.headprune.jobs.DatasetView;
import io.headprune.jobs.ModelView;
import io.headprune.jobs.Stored;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** Uploaded models and datasets: content-addressed, so the same bytes give the same id. */
@RestController
@org.springframework.boot.autoconfigure.condition.ConditionalOnExpression(
    "'${headprune.role:both}' != 'worker'")
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
      @io.swagger.v3.oas.annotations.Parameter(hidden = true)
          org.springframework.web.multipart.MultipartRequest parts,
      @io.swagger.v3.oas.annotations.Parameter(
              description =
                  "what the model is called (e.g. its Hub id, org/name): the pruned model's card"
                      + " names it as its base model; 1 to 128 letters, digits, spaces and . _ - /")
          @RequestPart(value = "name", required = false)
          String name)
      throws IOException {
    return store(
        parts,
        file,
        (in, filename) -> catalog.uploadModel(in, filename, name),
        model -> "/v1/models/" + model.id());
  }

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
  @org.springframework.web.bind.annotation.DeleteMapping("/v1/models/{id}")
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
      @io.swagger.v3.oas.annotations.Parameter(hidden = true)
          org.springframework.web.multipart.MultipartRequest parts)
      throws IOException {
    return store(parts, file, catalog::uploadDataset, dataset -> "/v1/datasets/" + dataset.id());
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
  @org.springframework.web.bind.annotation.DeleteMapping("/v1/datasets/{id}")
  ResponseEntity<Void> deleteDataset(@PathVariable UUID id) {
    catalog.deleteDataset(id);
    return ResponseEntity.noContent().build();
  }

  private static <T> ResponseEntity<T> store(
      org.springframework.web.multipart.MultipartRequest parts,
      MultipartFile file,
      BiFunction<InputStream, String, Stored<T>> upload,
      Function<T, String> location)
      throws IOException {
    int files = parts.getFiles("file").size();
    if (files > 1) { // which one was meant?
      throw new io.headprune.problem.InvalidInputException(
          "the upload has " + files + " parts named file; send one");
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
