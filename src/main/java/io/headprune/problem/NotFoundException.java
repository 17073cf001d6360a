package io.headprune.problem;

/** A named resource (model, dataset, job, artifact) that does not exist. */
public class NotFoundException extends HeadpruneException {

  public NotFoundException(String message) {
    super(message);
  }

  @Override
  public String title() {
    return "Not found";
  }
}
