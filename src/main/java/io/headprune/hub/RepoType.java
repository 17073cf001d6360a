package io.headprune.hub;

/** Hub repository kinds, with their URL and cache-folder spellings. */
public enum RepoType {
  MODEL("models", ""),
  DATASET("datasets", "datasets/");

  private final String plural;
  private final String urlPrefix;

  RepoType(String plural, String urlPrefix) {
    this.plural = plural;
    this.urlPrefix = urlPrefix;
  }

  /** {@code models} or {@code datasets}: the API path segment and the cache folder prefix. */
  public String plural() {
    return plural;
  }

  /** Prefix of the repository in resolve URLs. */
  String urlPrefix() {
    return urlPrefix;
  }
}
