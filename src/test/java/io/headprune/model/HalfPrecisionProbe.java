package io.headprune.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Run in a child JVM by {@link HalfPrecisionTest}: one way of making a 16-bit tensor in DJL 0.36's
 * PyTorch engine, printing the values it reads back (a native abort ends the process instead).
 */
public final class HalfPrecisionProbe {

  private HalfPrecisionProbe() {}

  public static void main(String[] args) {
    float[] values = {1.5f, -2.25f, 3f, 0.1f};
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), Devices.ENGINE)) {
      NDArray result =
          switch (args[0]) {
            case "f16-from-float32" -> manager.create(values).toType(DataType.FLOAT16, false);
            case "bf16-from-buffer" -> {
              ByteBuffer bytes = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
              for (float v : values) {
                bytes.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
              }
              yield manager.create(bytes.flip(), new Shape(4), DataType.BFLOAT16);
            }
            case "bf16-from-float32" -> manager.create(values).toType(DataType.BFLOAT16, false);
            case "bf16-zeros" -> manager.zeros(new Shape(4), DataType.BFLOAT16);
            default -> throw new IllegalArgumentException(args[0]);
          };
      System.out.println(
          result.getDataType()
              + " "
              + Arrays.toString(result.toType(DataType.FLOAT32, false).toFloatArray()));
    }
  }
}
