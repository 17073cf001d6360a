package io.headprune.problem;

/**
 * A request malformed in its own terms — a query parameter or header that is not of the form it
 * must have — as opposed to input the engine cannot accept ({@link InvalidInputException}, 422):
 * answered 400.
 */
public class InvalidRequestException extends HeadpruneException {

  public InvalidRequestException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return ProblemType.INVALID_REQUEST.title();
  }
}
