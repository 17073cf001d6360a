package io.headprune.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The huggingface_hub cache layout: {@code <type>--<org>--<name>/blobs/<etag>}, {@code
 * refs/<revision>} holding a commit, and {@code snapshots/<commit>/<file>} as relative symbolic
 * links to blobs. An existing cache is reused, and Python can use ours.
 */
final class HubCache {

  private final Path root;

  HubCache(Path root) {
    this.root = root;
  }

  /** The folder of one repository. */
  Path repository(RepoType type, String repo) {
    return root.resolve(type.plural() + "--" + repo.replace("/", "--"));
  }

  Path blob(RepoType type, String repo, String etag) {
    return repository(type, repo).resolve("blobs").resolve(etag);
  }

  Path snapshot(RepoType type, String repo, String commit) {
    return repository(type, repo).resolve("snapshots").resolve(commit);
  }

  /** The commit a revision points at: the revision itself if it is a commit, else refs/. */
  Optional<String> commitOf(RepoType type, String repo, String revision) {
    if (revision.matches("[0-9a-f]{40}")) {
      return Optional.of(revision);
    }
    Path ref = repository(type, repo).resolve("refs").resolve(revision);
    try {
      return Files.isRegularFile(ref)
          ? Optional.of(Files.readString(ref).strip())
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void writeRef(RepoType type, String repo, String revision, String commit) {
    if (revision.equals(commit)) {
      return;
    }
    Path ref = repository(type, repo).resolve("refs").resolve(revision);
    try {
      Files.createDirectories(ref.getParent());
      Path partial = ref.resolveSibling(ref.getFileName() + ".partial");
      Files.writeString(partial, commit);
      Files.move(partial, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Links {@code snapshots/<commit>/<file>} to the blob, relatively, as huggingface_hub does. */
  Path link(RepoType type, String repo, String commit, String file, Path blob) {
    Path target = snapshot(type, repo, commit).resolve(file);
    try {
      Files.createDirectories(target.getParent());
      Files.deleteIfExists(target);
      Files.createSymbolicLink(target, target.getParent().relativize(blob));
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("linking " + target, e);
    }
  }
}
