package io.headprune.checkpoint;

import java.nio.file.Path;

/**
 * A dataset as a run reads it: the file (or a stored split's directory), its name for messages,
 * which column is which field, and the recipe that turns its rows into examples.
 *
 * @param path the file, or a directory with a {@link Tables#MANIFEST}
 * @param name the name messages give it (its format comes from this name's extension)
 * @param columns the column mapping
 * @param recipe rows as examples (default), token segments, corpus windows, or a task template
 * @param label what reports call it: a stored dataset's id, a Hub split (default: {@code name})
 * @param hub the Hub dataset repository it came from ({@code org/name}), or null
 */
public record DataSource(
    Path path, String name, Columns columns, Recipe recipe, String label, String hub) {

  public DataSource {
    columns = columns == null ? Columns.NONE : columns;
    recipe = recipe == null ? Recipe.EXAMPLES : recipe;
    label = label == null ? name : label;
  }

  /** A dataset that reports call by its name. */
  public DataSource(Path path, String name, Columns columns, Recipe recipe) {
    this(path, name, columns, recipe, null, null);
  }

  /** The same data, called {@code label} in reports. */
  public DataSource labelled(String label) {
    return new DataSource(path, name, columns, recipe, label, hub);
  }

  /** The same data, from Hub dataset repository {@code repo} ({@code org/name}). */
  public DataSource fromHub(String repo) {
    return new DataSource(path, name, columns, recipe, label, repo);
  }

  /** A file read as it is: default columns, one example per row. */
  public static DataSource of(Path path) {
    return path == null ? null : new DataSource(path, path.getFileName().toString(), null, null);
  }
}
