package io.headprune.problem;

/** A well-formed model that headprune does not (yet) know how to run or prune. */
public class UnsupportedModelException extends InvalidInputException {

  public UnsupportedModelException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return "Unsupported model";
  }
}
