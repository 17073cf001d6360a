package io.headprune.problem;

/**
 * A request that conflicts with the current state of a resource (e.g. cancelling a finished job).
 */
public class ConflictException extends HeadpruneException {

  public ConflictException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return "Conflict";
  }
}
