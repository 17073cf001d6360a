package io.headprune.api;

import io.headprune.jobs.Catalog;
import io.headprune.jobs.DatasetView;
import io.headprune.jobs.Stored;
import io.swagger.v3.oas.annotations.Operation;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** Uploaded calibration and evaluation datasets. */
@RestController
@RequestMapping("/v1/datasets")
class DatasetsController {

  private final Catalog catalog;

  DatasetsController(Catalog catalog) {
    this.catalog = catalog;
  }

  @Operation(operationId = "uploadDataset", summary = "Upload a dataset (.jsonl, .csv or .tsv)",
      description = "201 for new bytes; the same bytes again give 200 and the same id.")
  @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<DatasetView> upload(@RequestPart("file") MultipartFile file) throws IOException {
    Stored<DatasetView> stored;
    try (InputStream in = file.getInputStream()) {
      stored = catalog.uploadDataset(in, file.getOriginalFilename());
    }
    return ResponseEntity.status(stored.created() ? HttpStatus.CREATED : HttpStatus.OK)
        .location(URI.create("/v1/datasets/" + stored.value().id()))
        .body(stored.value());
  }

  @Operation(operationId = "getDataset", summary = "A stored dataset")
  @GetMapping(value = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  DatasetView get(@PathVariable UUID id) {
    return catalog.dataset(id);
  }
}
