package io.headprune.problem;

/** Access to an upstream resource was refused (a gated or private Hugging Face repository). */
public class ForbiddenException extends HeadpruneException {

  public ForbiddenException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return "Forbidden";
  }
}
