package io.headprune.model;

import ai.djl.Device;
import java.util.Arrays;
import java.util.List;

/**
 * Which device each transformer layer of a model runs on when a job has several ({@code
 * gpu0+gpu1}): consecutive layers per device, in order, as accelerate's {@code device_map="auto"}
 * places them. The embeddings sit on the first device, the final norm and the head on the device of
 * the last layer; hidden states cross from one device to the next between layers.
 *
 * @param devices the job's devices, in order
 * @param ofLayer per layer, the index in {@code devices} of the device it runs on (never
 *     decreasing)
 */
public record Placement(List<Device> devices, int[] ofLayer) {

  public Placement {
    devices = List.copyOf(devices);
    ofLayer = ofLayer.clone();
    for (int l = 0; l < ofLayer.length; l++) {
      if (ofLayer[l] < 0
          || ofLayer[l] >= devices.size()
          || (l > 0 && ofLayer[l] < ofLayer[l - 1])) {
        throw new IllegalArgumentException("not a placement in order: " + Arrays.toString(ofLayer));
      }
    }
  }

  /** Every layer on {@code device}. */
  public static Placement single(Device device, int layers) {
    return new Placement(List.of(device), new int[layers]);
  }

  /** The device layer {@code layer} runs on. */
  public Device of(int layer) {
    return devices.get(ofLayer[layer]);
  }

  /** The index in {@link #devices} of the device layer {@code layer} runs on. */
  public int indexOf(int layer) {
    return ofLayer[layer];
  }

  /** The device of the embeddings, where a batch's inputs and a model's results live. */
  public Device first() {
    return devices.get(0);
  }

  /** The device of the last layer, the final norm and the head. */
  public Device last() {
    return ofLayer.length == 0 ? first() : of(ofLayer.length - 1);
  }

  /** The number of layers on each device. */
  public int[] layersPerDevice() {
    int[] counts = new int[devices.size()];
    for (int device : ofLayer) {
      counts[device]++;
    }
    return counts;
  }

  /**
   * Layers streamed one at a time onto their device: each device holds one layer at once whatever
   * the sizes, so the layers are divided by count, the first devices taking one more when they do
   * not divide.
   */
  public static Placement streamed(List<Device> devices, int layers) {
    int[] of = new int[layers];
    int n = devices.size();
    int l = 0;
    for (int d = 0; d < n; d++) {
      int count = layers / n + (d < layers % n ? 1 : 0);
      for (int i = 0; i < count; i++) {
        of[l++] = d;
      }
    }
    return new Placement(devices, of);
  }

  /**
   * Every layer resident, balanced by bytes: the modules in order (the embeddings, the layers, the
   * head) fill each device up to an equal share of what is left for it and the devices after it (at
   * least one layer's worth), never beyond the device's capacity; the last device takes the rest.
   * Null when the model does not fit on the devices so placed (then its layers stream).
   *
   * @param capacities per device, the bytes its share of the model may take
   * @param embeddings bytes of what runs before layer 0 (on the first device)
   * @param layers per layer, its bytes
   * @param head bytes of what runs after the last layer (on the last layer's device)
   */
  public static Placement resident(
      List<Device> devices, long[] capacities, long embeddings, long[] layers, long head) {
    if (capacities.length != devices.size() || devices.isEmpty()) {
      throw new IllegalArgumentException("one capacity per device");
    }
    long largest = Math.max(embeddings + (layers.length > 0 ? layers[0] : head), head);
    for (long layer : layers) {
      largest = Math.max(largest, layer);
    }
    long remaining = embeddings + head + Arrays.stream(layers).sum();
    int[] of = new int[layers.length];
    int device = 0;
    long used = embeddings;
    if (used > capacities[0]) {
      return null;
    }
    long limit = limit(capacities, 0, remaining, largest);
    for (int l = 0; l <= layers.length; l++) {
      boolean isHead = l == layers.length;
      long size = isHead ? head : layers[l];
      // the head stays with the last layer; a layer moves on when its device's share is full
      while (used + size > (isHead ? capacities[device] : limit)) {
        if (isHead || device == devices.size() - 1) {
          return null;
        }
        remaining -= used;
        device++;
        used = 0;
        limit = limit(capacities, device, remaining, largest);
      }
      used += size;
      if (!isHead) {
        of[l] = device;
      }
    }
    return new Placement(devices, of);
  }

  /**
   * What device {@code d} may take: an equal share of {@code remaining} among it and the devices
   * after it — at least one module's worth and what those devices cannot hold — at most its
   * capacity; the last device its whole capacity.
   */
  private static long limit(long[] capacities, int d, long remaining, long largest) {
    if (d == capacities.length - 1) {
      return capacities[d];
    }
    long after = 0;
    for (int i = d + 1; i < capacities.length; i++) {
      after = after > Long.MAX_VALUE - capacities[i] ? Long.MAX_VALUE : after + capacities[i];
    }
    long share = -Math.floorDiv(-remaining, capacities.length - d); // ceiling
    return Math.min(capacities[d], Math.max(Math.max(share, largest), remaining - after));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Placement p
        && devices.equals(p.devices)
        && Arrays.equals(ofLayer, p.ofLayer);
  }

  @Override
  public int hashCode() {
    return devices.hashCode() * 31 + Arrays.hashCode(ofLayer);
  }

  @Override
  public String toString() {
    return "Placement" + devices + Arrays.toString(ofLayer);
  }

  @Override
  public int[] ofLayer() {
    return ofLayer.clone();
  }
}
