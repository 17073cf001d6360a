package io.headprune.api;

import io.headprune.tenancy.ApiKeys;
import io.headprune.tenancy.Audit;
import io.headprune.tenancy.Caller;
import io.headprune.tenancy.Quotas;
import io.headprune.tenancy.Role;
import io.headprune.tenancy.Tenants;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.net.URI;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.validation.annotation.Validated;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Administration: API keys, a tenant's usage against its quotas, and the audit trail. An admin acts
 * on its own tenant, a platform admin on every tenant (and creates tenants with their first key).
 */
@RestController
@ConditionalOnExpression("'${headprune.role:both}' != 'worker'")
@Tag(
    name = "administration",
    description = "API keys, tenants' usage and the audit trail (admin role)")
@Validated
class AdminController {

  private final ApiKeys keys;
  private final Quotas quotas;
  private final Audit audit;
  private final Tenants tenants;

  AdminController(ApiKeys keys, Quotas quotas, Audit audit, Tenants tenants) {
    this.tenants = tenants;
    this.keys = keys;
    this.quotas = quotas;
    this.audit = audit;
  }

  /**
   * A key to create.
   *
   * @param tenant its tenant (a new name creates the tenant: platform-admin only)
   * @param role read, member, admin or platform-admin
   */
  record KeyRequest(
      @NotBlank(message = "tenant is required") String tenant,
      @NotBlank(message = "role is required") String role) {}

  /** A Hugging Face token for a tenant's Hub models and datasets. */
  record HubToken(@NotBlank(message = "token is required") String token) {}

  /** A page of audit entries, newest first. */
  record AuditPage(List<Audit.Entry> items, int page, int size, long totalItems, int totalPages) {}

  @Operation(
      operationId = "createKey",
      summary = "Create an API key (the key is shown in this response only)",
      description =
          "201. An admin creates keys of its own tenant; a platform-admin of any tenant, and a new tenant "
              + "name creates the tenant.")
  @ApiResponse(
      responseCode = "201",
      description = "The new key, shown this once",
      headers =
          @Header(
              name = "Location",
              description = "/v1/keys/{prefix}",
              required = true,
              schema = @Schema(type = "string", format = "uri-reference")),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ApiKeys.NewKey.class)))
  @PostMapping(
      value = "/v1/keys",
      consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<ApiKeys.NewKey> create(@Valid @RequestBody KeyRequest request) {
    ApiKeys.NewKey key = keys.create(request.tenant(), Role.of(request.role()), Caller.current());
    return ResponseEntity.created(URI.create("/v1/keys/" + key.prefix())).body(key);
  }

  @Operation(
      operationId = "listKeys",
      summary = "API keys by prefix (never the keys): the tenant's, or all for a platform-admin")
  @GetMapping(value = "/v1/keys", produces = MediaType.APPLICATION_JSON_VALUE)
  List<ApiKeys.KeyView> list() {
    return keys.list(checkAdmin());
  }

  @Operation(
      operationId = "revokeKey",
      summary = "Revoke an API key by its prefix",
      description = "204; a key of a tenant the caller does not administer is a 404.")
  @ApiResponse(responseCode = "204", description = "Done")
  @DeleteMapping("/v1/keys/{prefix}")
  ResponseEntity<Void> revoke(@PathVariable String prefix) {
    keys.revoke(prefix, checkAdmin());
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "getTenantUsage",
      summary =
          "A tenant's queued and running jobs, stored bytes and uploads "
              + "of the last hour, with its quotas")
  @GetMapping(value = "/v1/tenants/{id}/usage", produces = MediaType.APPLICATION_JSON_VALUE)
  Quotas.Usage usage(@PathVariable String id) {
    checkAdmin().checkAdministers(id);
    return quotas.usage(id);
  }

  @Operation(
      operationId = "setHubToken",
      summary = "Store the tenant's Hugging Face token (encrypted at rest, never shown)",
      description =
          "204. The tenant's jobs then read Hub models and datasets with it; without one, only the default "
              + "tenant uses the service's HF_TOKEN. 409 when the service has no key-encryption key.")
  @ApiResponse(responseCode = "204", description = "Done")
  @PutMapping(value = "/v1/tenants/{id}/hub-token", consumes = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<Void> setHubToken(@PathVariable String id, @Valid @RequestBody HubToken token) {
    tenants.setHubToken(id, token.token(), checkAdmin());
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "deleteHubToken",
      summary = "Remove the tenant's Hugging Face token",
      description = "204.")
  @ApiResponse(responseCode = "204", description = "Done")
  @DeleteMapping("/v1/tenants/{id}/hub-token")
  ResponseEntity<Void> deleteHubToken(@PathVariable String id) {
    tenants.setHubToken(id, null, checkAdmin());
    return ResponseEntity.noContent().build();
  }

  @Operation(
      operationId = "listAudit",
      summary = "The caller's tenant's audit trail, newest first",
      description =
          "Every upload, submission, cancellation, deletion and key change: who, what, which id, when. "
              + "A platform-admin may name another tenant.")
  @GetMapping(value = "/v1/audit", produces = MediaType.APPLICATION_JSON_VALUE)
  AuditPage audit(
      @RequestParam(required = false) String tenant,
      @RequestParam(defaultValue = "0")
          @Min(value = 0, message = "page must be non-negative")
          @Max(value = 1_000_000, message = "page must be at most 1000000")
          int page,
      @RequestParam(defaultValue = "50")
          @Min(value = 1, message = "size must be at least 1")
          @Max(value = 500, message = "size must be at most 500")
          int size) {
    Caller caller = checkAdmin();
    String of = tenant == null ? caller.tenant() : tenant;
    caller.checkAdministers(of);
    var result = audit.list(of, page, size);
    return new AuditPage(
        result.getContent(), page, size, result.getTotalElements(), result.getTotalPages());
  }

  /**
   * The caller, refused (403) unless it is an admin (URL rules say so too; this holds if they are
   * ever loosened).
   */
  private static Caller checkAdmin() {
    Caller caller = Caller.current();
    caller.checkAdministers(caller.tenant());
    return caller;
  }
}
