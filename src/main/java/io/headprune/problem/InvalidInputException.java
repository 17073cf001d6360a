package io.headprune.problem;

/** Input (a checkpoint, a dataset, a request) that headprune cannot accept as given. */
public class InvalidInputException extends HeadpruneException {

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String title() {
    return "Invalid input";
  }
}
