package io.headprune.checkpoint;

import io.headprune.problem.InvalidInputException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The label space of a classification or regression head, from config.json.
 *
 * @param count number of outputs ({@code num_labels}); 1 means regression
 * @param idToLabel label names by index (may be empty)
 * @param labelToId indices by label name (may be empty)
 * @param problemType config's {@code problem_type}, or null
 */
public record Labels(
    int count, Map<Integer, String> idToLabel, Map<String, Integer> labelToId, String problemType) {

  public Labels {
    if (count < 1) {
      throw new InvalidInputException("config.json: num_labels must be at least 1, got " + count);
    }
    idToLabel = Map.copyOf(idToLabel);
    labelToId = Map.copyOf(labelToId);
  }

  /** True when the head is a regression head ({@code num_labels = 1} or problem_type says so). */
  public boolean regression() {
    return count == 1 || "regression".equals(problemType);
  }

  /** Resolves a label given as a name from label2id or as an index, naming the bad value. */
  public int indexOf(String label, String where) {
    Integer id = labelToId.get(label);
    if (id != null) {
      return id;
    }
    try {
      return checkIndex(Integer.parseInt(label.trim()), where);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          where + ": label '" + label + "' is not in the model's label2id " + labelToId.keySet());
    }
  }

  /** Checks that an integer label is a valid class index. */
  public int checkIndex(long label, String where) {
    if (label < 0 || label >= count) {
      throw new InvalidInputException(
          where + ": label " + label + " is outside [0, " + (count - 1) + "]");
    }
    return (int) label;
  }

  /**
   * Checks a dataset's label names (by index) against the model's id2label: a name the model lacks,
   * or the same name at another index, is an error naming both. Models whose id2label holds only
   * the default names ({@code LABEL_0}, …) say nothing to check against.
   *
   * @param names the dataset's label names, by index
   * @param what the dataset, for messages
   */
  public void checkNames(List<String> names, String what) {
    if (regression()
        || idToLabel.isEmpty()
        || idToLabel.values().stream().allMatch(n -> n.matches("LABEL_[0-9]+"))) {
      return;
    }
    Map<String, Integer> byName = new HashMap<>();
    idToLabel.forEach((index, name) -> byName.put(name, index));
    for (int i = 0; i < names.size(); i++) {
      Integer model = byName.get(names.get(i));
      if (model == null) {
        throw new InvalidInputException(
            what
                + ": label "
                + i
                + " is '"
                + names.get(i)
                + "', which is not among the model's labels "
                + new TreeMap<>(idToLabel)
                + "; set \"labelMapping\": \"by-index\" to take the indices as they are");
      }
      if (model != i) {
        throw new InvalidInputException(
            what
                + ": label '"
                + names.get(i)
                + "' is index "
                + i
                + " in the dataset but "
                + model
                + " in the model's id2label "
                + new TreeMap<>(idToLabel)
                + "; set \"labelMapping\": \"by-index\" to take the indices as they are");
      }
    }
  }
}
