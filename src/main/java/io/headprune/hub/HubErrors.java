package io.headprune.hub;

import io.headprune.problem.ForbiddenException;
import io.headprune.problem.HeadpruneException;
import io.headprune.problem.NotFoundException;
import io.headprune.problem.UpstreamException;
import java.net.http.HttpHeaders;
import java.util.Locale;

/** Maps the Hub's error answers to problems a user can act on (as huggingface_hub's errors do). */
final class HubErrors {

  private HubErrors() {}

  static HeadpruneException of(
      int status, HttpHeaders headers, String repo, String revision, String file) {
    String code = headers.firstValue("X-Error-Code").orElse("");
    String message = headers.firstValue("X-Error-Message").orElse("");
    String what =
        repo + (revision == null ? "" : "@" + revision) + (file == null ? "" : " file " + file);
    if (code.equals("RepoNotFound")) {
      return new NotFoundException(
          "Hub repository " + repo + " was not found (if it is private, set HF_TOKEN)");
    }
    if (code.equals("RevisionNotFound")) {
      return new NotFoundException(
          "revision " + revision + " was not found in Hub repository " + repo);
    }
    if (code.equals("EntryNotFound")) {
      return new NotFoundException(
          "file " + file + " was not found in Hub repository " + repo + "@" + revision);
    }
    if (code.equals("GatedRepo")
        || (status == 403 && message.toLowerCase(Locale.ROOT).contains("gated"))) {
      return new ForbiddenException(
          "Hub repository "
              + repo
              + " is gated: accept its conditions on the Hub, then set "
              + "HF_TOKEN (the service: the tenant's Hub token) to a token of that account");
    }
    if (status == 401) {
      return new ForbiddenException(
          "Hub repository "
              + repo
              + " needs authentication: set HF_TOKEN (the service: the "
              + "tenant's Hub token, PUT /v1/tenants/{id}/hub-token) to a token with read access");
    }
    if (status == 403) {
      return new ForbiddenException(
          "access to Hub repository "
              + repo
              + " was refused ("
              + message
              + "); check HF_TOKEN (the service: the tenant's Hub token)");
    }
    if (status == 404) {
      return new NotFoundException(what + " was not found on the Hub");
    }
    return new UpstreamException(
        "the Hub answered " + status + " for " + what + (message.isEmpty() ? "" : ": " + message));
  }
}
