package io.headprune.model;

import ai.djl.ndarray.NDManager;
import io.headprune.problem.EngineException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.IntFunction;

/**
 * A streamed model's layer loads, one ahead: while a layer computes, the next one is read from the
 * checkpoint, widened and copied onto its device on a thread of its own — the overlap of the host →
 * device copy with compute that DJL 0.36 allows (it has neither pinned host buffers nor
 * non-blocking copies: {@code torchTo} is synchronous, so the copy runs beside the compute rather
 * than on a second CUDA stream). The next layer is guessed from the last two asked for: on in the
 * same direction (a forward pass up, a recomputing backward down), else down when there is a layer
 * below, else up. A wrong guess costs one load that is dropped.
 *
 * @param <T> a loaded layer
 */
final class LayerPrefetch<T> implements AutoCloseable {

  /** A layer loaded, with the scope that owns its arrays. */
  private record Loaded<T>(int layer, T weights, NDManager scope) {}

  private final int count;
  private final IntFunction<NDManager> scopes;
  private final BiFunction<Integer, NDManager, T> load;
  private final ExecutorService loader;
  private Future<Loaded<T>> ahead;
  private int aheadLayer = -1;
  private int previous = -1;
  private long taken; // guarded by this

  /**
   * @param count the number of layers
   * @param scopes a new scope for layer l's arrays, on its device (a sub-manager of the model's)
   * @param load layer l's weights loaded into a scope
   */
  LayerPrefetch(int count, IntFunction<NDManager> scopes, BiFunction<Integer, NDManager, T> load) {
    this.count = count;
    this.scopes = scopes;
    this.load = load;
    this.loader =
        Executors.newSingleThreadExecutor(
            task -> {
              // created from the job's thread, so it inherits its niceness (NativeThreads)
              Thread thread = new Thread(task, "headprune-layer-loader");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Layer {@code layer}'s weights, owned by {@code manager} from now on; starts the next load. */
  synchronized T take(int layer, NDManager manager) {
    Future<Loaded<T>> pending = aheadLayer == layer ? ahead : null;
    if (pending == null) {
      drop();
      pending = loader.submit(() -> loadInto(layer));
    }
    ahead = null;
    aheadLayer = -1;
    Loaded<T> loaded = await(pending);
    // the caller's manager closes the scope with itself (a closing scope leaves its parent's list)
    manager.attachInternal("headprune-layer-" + ++taken, loaded.scope());
    int next = next(layer);
    previous = layer;
    if (next >= 0) {
      aheadLayer = next;
      ahead = loader.submit(() -> loadInto(next));
    }
    return loaded.weights();
  }

  /** The layer likely asked for after {@code layer}, or -1. */
  private int next(int layer) {
    int step = layer - previous;
    int next;
    if (previous >= 0 && Math.abs(step) == 1) {
      next = layer + step;
    } else {
      next = layer > 0 ? layer - 1 : layer + 1;
    }
    return next >= 0 && next < count ? next : -1;
  }

  private Loaded<T> loadInto(int layer) {
    NDManager scope = scopes.apply(layer);
    try {
      return new Loaded<>(layer, load.apply(layer, scope), scope);
    } catch (RuntimeException | Error e) {
      scope.close();
      throw e;
    }
  }

  private static <T> Loaded<T> await(Future<Loaded<T>> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted while a layer loaded", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Drops a load started on a wrong guess, freeing what it loaded. */
  private void drop() {
    if (ahead == null) {
      return;
    }
    Future<Loaded<T>> dropped = ahead;
    ahead = null;
    aheadLayer = -1;
    try {
      dropped.get().scope().close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // the guess failed to load; whoever asks for that layer gets the error
    }
  }

  @Override
  public synchronized void close() {
    drop();
    loader.shutdownNow();
  }
}
