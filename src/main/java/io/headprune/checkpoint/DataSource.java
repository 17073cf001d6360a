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
 */
public record DataSource(Path path, String name, Columns columns, Recipe recipe) {

  public DataSource {
    columns = columns == null ? Columns.NONE : columns;
    recipe = recipe == null ? Recipe.EXAMPLES : recipe;
  }

  /** A file read as it is: default columns, one example per row. */
  public static DataSource of(Path path) {
    return path == null ? null : new DataSource(path, path.getFileName().toString(), null, null);
  }
}
