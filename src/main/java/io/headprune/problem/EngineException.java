package io.headprune.problem;

/** A failure inside the engine that is not the caller's fault (native error, I/O failure). */
public class EngineException extends HeadpruneException {

  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String title() {
    return "Engine failure";
  }
}
