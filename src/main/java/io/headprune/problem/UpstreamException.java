package io.headprune.problem;

/** An upstream service (the Hugging Face Hub) failed or sent bytes that do not check out. */
public class UpstreamException extends HeadpruneException {

  public UpstreamException(String message) {
    super(message);
  }

  public UpstreamException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String title() {
    return "Upstream failure";
  }
}
