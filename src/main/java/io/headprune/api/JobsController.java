package io.headprune.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.headprune.hub.HubUpload;
import io.headprune.jobs.JobEvaluations;
import io.headprune.jobs.JobEventList;
import io.headprune.jobs.JobHeads;
import io.headprune.jobs.JobPush;
import io.headprune.jobs.JobRequest;
import io.headprune.jobs.JobStatus;
import io.headprune.jobs.JobView;
import io.headprune.jobs.Jobs;
import io.headprune.jobs.Stored;
import io.headprune.pruning.PruneReport;
import io.headprune.pruning.ScoresDocument;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRange;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.WebRequest;

/** Pruning jobs: submit, poll, list, cancel, delete, and their outputs. */
@RestController
@ConditionalOnExpression("'${headprune.role:both}' != 'worker'")
@Tag(name = "jobs", description = "Pruning jobs, their progress and their outputs")
@RequestMapping("/v1/jobs")
@Validated
class JobsController {

  private final Jobs jobs;
  private final JobPush pushes;

  JobsController(Jobs jobs, JobPush pushes) {
    this.jobs = jobs;
    this.pushes = pushes;
  }

  @Operation(
      operationId = "submitJob",
      summary = "Submit a pruning job",
      description =
          "202 with Location: /v1/jobs/{id}. With an Idempotency-Key header, a retry with the same key"
              + " and body within 24 hours answers 200 with the same job and Location; another body"
              + " with that key is a 409.")
  @ApiResponse(
      responseCode = "202",
      description = "Accepted: the job is queued",
      headers =
          @Header(
              name = "Location",
              description = "/v1/jobs/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = JobView.class)))
  @ApiResponse(
      responseCode = "200",
      description = "A retry with the same Idempotency-Key and body: the job it made",
      headers =
          @Header(
              name = "Location",
              description = "/v1/jobs/{id}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = JobView.class)))
  @PostMapping(
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<JobView> submit(
      @Valid @RequestBody JobRequest request,
      @Parameter(
              description =
                  "a client-chosen key (1 to 255 printable characters) that makes retries of this"
                      + " submission safe: the same key and body give the same job for 24 hours")
          @RequestHeader(value = "Idempotency-Key", required = false)
          @Pattern(
              regexp = "[\\x21-\\x7e]{1,255}",
              message =
                  "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces")
          String idempotencyKey) {
    Stored<JobView> job = jobs.submit(request, idempotencyKey);
    return ResponseEntity.status(job.created() ? 202 : 200)
        .location(URI.create("/v1/jobs/" + job.value().id()))
        .body(job.value());
  }

  @Operation(operationId = "getJob", summary = "A job: status, progress, attempt, error or result")
  @GetMapping(value = "/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  JobView get(@PathVariable UUID id) {
    return jobs.get(id);
  }

  @Operation(
      operationId = "getJobEvents",
      summary =
          "What happened to a job, oldest first: submission and plan, starts, phases, α and target"
              + " decisions, retries, the end")
  @GetMapping(value = "/{id}/events", produces = MediaType.APPLICATION_JSON_VALUE)
  JobEventList events(@PathVariable UUID id) {
    return jobs.events(id);
  }

  @Operation(
      operationId = "listJobs",
      summary = "Jobs, newest first, optionally by status, name, external id and labels")
  @GetMapping(produces = MediaType.APPLICATION_JSON_VALUE)
  JobPage list(
      @RequestParam(required = false) JobStatus status,
      @Parameter(description = "only jobs of this name") @RequestParam(required = false)
          String name,
      @Parameter(
              description = "only jobs submitted with this external id (an MLflow or Airflow run)")
          @RequestParam(required = false)
          String externalId,
      @Parameter(description = CatalogController.LABEL_FILTER)
          @RequestParam(name = "label", required = false)
          List<String> label,
      @RequestParam(defaultValue = "0")
          @Min(value = 0, message = "page must be non-negative")
          @Max(value = 1_000_000, message = "page must be at most 1000000")
          int page,
      @RequestParam(defaultValue = "20")
          @Min(value = 1, message = "size must be at least 1")
          @Max(value = 200, message = "size must be at most 200")
          int size) {
    var result = jobs.list(status, name, externalId, label, page, size);
    return new JobPage(
        result.getContent(), page, size, result.getTotalElements(), result.getTotalPages());
  }

  @Operation(
      operationId = "cancelJob",
      summary = "Cancel a queued or running job (409 if it has finished)")
  @PostMapping(value = "/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
  JobView cancel(@PathVariable UUID id) {
    return jobs.cancel(id);
  }

  /**
   * What to push, and where.
   *
   * @param repo the Hub model repository, org/name (created, private unless said, if it does not
   *     exist)
   * @param kind pruned (default) or masked
   * @param revision the branch to commit to (default main)
   * @param privateRepo whether a repository created now is private (default true)
   */
  record PushRequest(
      @NotBlank(message = "repo is required") String repo,
      @Pattern(regexp = "pruned|masked", message = "kind must be pruned or masked") String kind,
      String revision,
      @JsonProperty("private") Boolean privateRepo) {}

  @Operation(
      operationId = "pushJob",
      summary =
          "Push a succeeded job's pruned (or masked) model with its card to a Hub repository, as"
              + " one commit, with the tenant's Hub token")
  @PostMapping(
      value = "/{id}/push",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  HubUpload.Pushed push(@PathVariable UUID id, @Valid @RequestBody PushRequest request) {
    return pushes.push(
        id,
        request.kind() == null ? "pruned" : request.kind(),
        request.repo(),
        request.revision() == null ? "main" : request.revision(),
        request.privateRepo() == null || request.privateRepo());
  }

  @Operation(
      operationId = "deleteJob",
      summary = "Delete a job with its scores, evaluations and artifacts")
  @ApiResponse(responseCode = "204", description = "Deleted")
  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable UUID id) {
    jobs.delete(id);
    return ResponseEntity.noContent().build();
  }

  @Operation(operationId = "getJobScores", summary = "scores.json of a succeeded job")
  @ApiResponse(
      responseCode = "200",
      description = "scores.json: one row per head",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ScoresDocument.class)))
  @GetMapping(value = "/{id}/scores", produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Resource> scores(@PathVariable UUID id) {
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(new FileSystemResource(jobs.scoresFile(id)));
  }

  @Operation(
      operationId = "getJobHeads",
      summary =
          "A succeeded job's heads from the database: the scores the artifact was selected with,"
              + " whether each head was pruned, and its scores under every seed with HIES's mean"
              + " and standard deviation across seeds")
  @GetMapping(value = "/{id}/heads", produces = MediaType.APPLICATION_JSON_VALUE)
  JobHeads heads(@PathVariable UUID id) {
    return jobs.heads(id);
  }

  @Operation(
      operationId = "getJobEvaluations",
      summary =
          "A succeeded job's evaluations from the database (criterion × sparsity × seed),"
              + " optionally of one criterion and one sparsity")
  @GetMapping(value = "/{id}/evaluations", produces = MediaType.APPLICATION_JSON_VALUE)
  JobEvaluations evaluations(
      @PathVariable UUID id,
      @Parameter(description = "only this criterion's (hies, his, entropy, random)")
          @RequestParam(required = false)
          String criterion,
      @Parameter(description = "only this sparsity's")
          @RequestParam(required = false)
          @DecimalMin(value = "0", message = "sparsity must be in [0, 1]")
          @DecimalMax(value = "1", message = "sparsity must be in [0, 1]")
          Double sparsity) {
    return jobs.evaluations(id, criterion, sparsity);
  }

  @Operation(operationId = "getJobReport", summary = "report.json of a succeeded job")
  @ApiResponse(
      responseCode = "200",
      description = "report.json",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = PruneReport.class)))
  @GetMapping(value = "/{id}/report", produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Resource> report(@PathVariable UUID id) {
    return ResponseEntity.ok()
        .contentType(MediaType.APPLICATION_JSON)
        .body(new FileSystemResource(jobs.reportFile(id)));
  }

  @Operation(
      operationId = "getJobReportPage",
      summary =
          "report.html of a succeeded job: heatmap of head scores, metric curves per criterion,"
              + " stability, decisions (self-contained, no network)")
  @ApiResponse(
      responseCode = "200",
      description = "report.html, served with a Content-Security-Policy that allows no network",
      headers = @Header(name = "Content-Security-Policy", schema = @Schema(type = "string")),
      content = @Content(mediaType = "text/html", schema = @Schema(type = "string")))
  @GetMapping(value = "/{id}/report.html", produces = MediaType.TEXT_HTML_VALUE)
  ResponseEntity<Resource> reportPage(@PathVariable UUID id) {
    return ResponseEntity.ok()
        .contentType(new MediaType("text", "html", StandardCharsets.UTF_8))
        .header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:")
        .body(new FileSystemResource(jobs.reportPage(id)));
  }

  @Operation(
      operationId = "getJobArtifact",
      summary = "The pruned or masked model as .tar.gz (ETag = sha256; Range supported)",
      description =
          "kind is pruned or masked. If-None-Match with the ETag (or *) gives 304; a Range header of"
              + " one range gives 206 with that part, or 416 when it does not start inside the file;"
              + " several ranges in one request are refused with 416.")
  @ApiResponse(
      responseCode = "200",
      description = "The whole file",
      headers = {
        @Header(
            name = "ETag",
            description = "\"<sha256 of the file>\"",
            schema = @Schema(type = "string")),
        @Header(
            name = "Accept-Ranges",
            schema = @Schema(type = "string", allowableValues = "bytes")),
        @Header(name = "Content-Disposition", schema = @Schema(type = "string"))
      },
      content =
          @Content(
              mediaType = "application/gzip",
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "206",
      description = "The byte range a Range header asked for",
      headers = {
        @Header(
            name = "ETag",
            description = "\"<sha256 of the file>\"",
            schema = @Schema(type = "string")),
        @Header(
            name = "Content-Range",
            description = "bytes <first>-<last>/<size>",
            required = true,
            schema = @Schema(type = "string"))
      },
      content =
          @Content(
              mediaType = "application/gzip",
              schema = @Schema(type = "string", format = "binary")))
  @ApiResponse(
      responseCode = "304",
      description =
          "If-None-Match named the current ETag, or *: the copy the client has is current",
      headers =
          @Header(
              name = "ETag",
              description = "\"<sha256 of the file>\"",
              schema = @Schema(type = "string")))
  @ApiResponse(
      responseCode = "416",
      description =
          "The Range header's range does not start inside the file, or it asks for several ranges",
      headers =
          @Header(
              name = "Content-Range",
              description = "bytes */<size>",
              required = true,
              schema = @Schema(type = "string")))
  @GetMapping(value = "/{id}/artifacts/{kind}", produces = "application/gzip")
  ResponseEntity<Resource> artifact(
      @PathVariable UUID id, @PathVariable String kind, WebRequest request) {
    Jobs.StoredArtifact artifact = jobs.artifact(id, kind);
    String etag = "\"" + artifact.sha256() + "\"";
    String noneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    // "*" matches any current representation (RFC 9110 §13.1.2), and the artifact exists
    if (noneMatch != null && noneMatch.strip().equals("*") || request.checkNotModified(etag)) {
      return ResponseEntity.status(304).eTag(etag).build();
    }
    long size = artifact.path().toFile().length();
    if (!satisfiable(request.getHeader(HttpHeaders.RANGE), size)) {
      // RFC 9110 §15.5.17: no body, and the size the client can ask within
      return ResponseEntity.status(416)
          .header(HttpHeaders.CONTENT_RANGE, "bytes */" + size)
          .build();
    }
    return ResponseEntity.ok()
        .eTag(etag)
        // a finished job's artifact never changes: private (a tenant's), cacheable for a year
        .cacheControl(CacheControl.maxAge(Duration.ofDays(365)).cachePrivate().immutable())
        .header(
            HttpHeaders.CONTENT_DISPOSITION,
            "attachment; filename=\"" + kind + "-" + id + ".tar.gz\"")
        .header(HttpHeaders.ACCEPT_RANGES, "bytes")
        .contentType(MediaType.parseMediaType("application/gzip"))
        .body(new FileSystemResource(artifact.path()));
  }

  /**
   * True without a Range header, or when it asks for one range that starts inside {@code size}
   * bytes. Several ranges are refused (416): they would be a multipart/byteranges answer, which
   * overlapping ranges make larger than the file (resumable downloads ask for one range).
   */
  static boolean satisfiable(String range, long size) {
    if (range == null) {
      return true;
    }
    try {
      List<HttpRange> ranges = HttpRange.parseRanges(range);
      return ranges.size() == 1 && ranges.get(0).getRangeStart(size) < size;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
