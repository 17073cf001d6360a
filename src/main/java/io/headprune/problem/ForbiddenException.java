package io.headprune.problem;

/**
 * Access was refused: a role that may not administer another tenant, or an upstream resource (a
 * gated or private Hugging Face repository).
 */
public class ForbiddenException extends HeadpruneException {

  public ForbiddenException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return "Forbidden";
  }
}
