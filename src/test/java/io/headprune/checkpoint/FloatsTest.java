package io.headprune.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Narrowing back to the stored dtype after a scale is folded into a weight. */
class FloatsTest {

  @Test
  void everyHalfSurvivesTheRoundTripAndMidpointsRoundToEven() {
    for (int bits = 0; bits < 0x10000; bits++) {
      short half = (short) bits;
      float value = Floats.halfToFloat(half);
      if (Float.isNaN(value)) {
        assertThat(Float.isNaN(Floats.halfToFloat(Floats.floatToHalf(value)))).isTrue();
        continue;
      }
      assertThat(Floats.floatToHalf(value)).as("half %04x", bits).isEqualTo(half);
    }
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to the even 1
    assertThat(Floats.floatToHalf(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
    // 1 + 3·2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: ties to the even 1 + 2^-9
    assertThat(Floats.floatToHalf(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
    assertThat(Floats.floatToHalf(1f + 0x1p-11f + 0x1p-20f)).isEqualTo((short) 0x3C01);
    assertThat(Floats.floatToHalf(70000f)).isEqualTo((short) 0x7C00); // overflow: infinity
    assertThat(Floats.floatToHalf(0x1p-25f)).isEqualTo((short) 0); // halfway to 2^-24: even 0
    assertThat(Floats.floatToHalf(0x1.8p-25f)).isEqualTo((short) 1);
    assertThat(Floats.floatToHalf(-0x1p-24f)).isEqualTo((short) 0x8001);
  }

  @Test
  void bfloat16RoundsToNearestEven() {
    assertThat(Floats.floatToBfloat16(1f)).isEqualTo((short) 0x3F80);
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1)
    assertThat(Floats.floatToBfloat16(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
    assertThat(Floats.floatToBfloat16(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
    assertThat(Floats.floatToBfloat16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
  }

  @Test
  void scalingWorksInPlaceInTheStoredType() {
    ByteBuffer f32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    f32.putFloat(1f).putFloat(-2f).putFloat(3f).flip();
    Floats.scale(f32, DType.F32, 4, 2, 0.5);
    assertThat(f32.getFloat(0)).isEqualTo(1f);
    assertThat(f32.getFloat(4)).isEqualTo(-1f);
    assertThat(f32.getFloat(8)).isEqualTo(1.5f);
    ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    bf16.putShort((short) 0x3F80).putShort((short) 0x4000).flip(); // 1, 2
    Floats.scale(bf16, DType.BF16, 0, 2, 1.5);
    assertThat(bf16.getShort(0)).isEqualTo((short) 0x3FC0); // 1.5
    assertThat(bf16.getShort(2)).isEqualTo((short) 0x4040); // 3
    ByteBuffer f16 = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
    f16.putShort((short) 0x3C00).flip(); // 1
    Floats.scale(f16, DType.F16, 0, 1, -0.25);
    assertThat(f16.getShort(0)).isEqualTo((short) 0xB400); // -0.25
  }
}
