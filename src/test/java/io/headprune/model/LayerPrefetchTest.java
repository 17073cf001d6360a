package io.headprune.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.headprune.problem.InvalidInputException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Layer loads one ahead of the compute: the order a scoring pass asks for layers (up, then down,
 * then up again for the next batch) is guessed, so every load but the first of each direction was
 * started before it was asked for; a wrong guess is freed; errors reach the caller.
 */
class LayerPrefetchTest {

  @Test
  void aForwardThenARecomputingBackwardFindsEachLayerLoadedAhead() {
    List<Integer> loads = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    try (NDManager model = NDManager.newBaseManager(Device.cpu(), Devices.ENGINE);
        LayerPrefetch<NDArray> prefetch =
            new LayerPrefetch<>(
                4,
                l -> model.newSubManager(),
                (l, scope) -> {
                  loads.add(l);
                  threads.add(Thread.currentThread().getName());
                  return scope.create(new float[] {l});
                })) {
      int[] asked = {0, 1, 2, 3, 3, 2, 1, 0, 0, 1};
      for (int layer : asked) {
        try (NDManager scope = model.newSubManager()) {
          NDArray weights = prefetch.take(layer, scope);
          assertThat(weights.getFloat()).isEqualTo(layer);
        }
      }
      // every layer asked for was loaded once, in the order asked, plus the guess after the last
      // (which the loader thread takes up on its own time: waited for, not raced)
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> loads.size() > asked.length);
      assertThat(loads).containsExactly(0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2);
      assertThat(threads).allMatch(name -> name.equals("headprune-layer-loader"));
    }
  }

  @Test
  void aWrongGuessIsFreedAndTheLayerAskedForLoaded() {
    List<NDManager> scopes = new CopyOnWriteArrayList<>();
    try (NDManager model = NDManager.newBaseManager(Device.cpu(), Devices.ENGINE)) {
      try (LayerPrefetch<NDArray> prefetch =
          new LayerPrefetch<>(
              8,
              l -> {
                NDManager scope = model.newSubManager();
                scopes.add(scope);
                return scope;
              },
              (l, scope) -> scope.create(new float[] {l}))) {
        try (NDManager caller = model.newSubManager()) {
          prefetch.take(2, caller); // guesses 1 (a layer below)
          assertThat(prefetch.take(6, caller).getFloat()).isEqualTo(6f); // 1 dropped
        }
        // 2, the guess 1, 6, the guess 5 — which the loader thread starts on its own time
        Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> scopes.size() == 4);
        assertThat(scopes).hasSize(4);
        assertThat(scopes.get(1).isOpen()).as("the wrong guess is freed").isFalse();
        assertThat(scopes.get(0).isOpen()).as("closed with the caller").isFalse();
        assertThat(scopes.get(3).isOpen()).as("the pending guess").isTrue();
      }
      assertThat(scopes.get(3).isOpen()).as("freed when the model closes").isFalse();
    }
  }

  @Test
  void aLayerThatFailsToLoadFailsTheCallerThatAskedForIt() {
    try (NDManager model = NDManager.newBaseManager(Device.cpu(), Devices.ENGINE);
        LayerPrefetch<NDArray> prefetch =
            new LayerPrefetch<>(
                3,
                l -> model.newSubManager(),
                (l, scope) -> {
                  if (l == 1) {
                    throw new InvalidInputException("weight 'layers.1.q_proj' is cut short");
                  }
                  return scope.create(new float[] {l});
                });
        NDManager caller = model.newSubManager()) {
      prefetch.take(0, caller); // guesses 1, whose load fails on the loader thread
      assertThatThrownBy(() -> prefetch.take(1, caller))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("layers.1.q_proj");
      assertThat(prefetch.take(2, caller).getFloat()).isEqualTo(2f);
    }
  }
}
