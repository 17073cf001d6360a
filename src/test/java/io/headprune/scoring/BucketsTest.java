package io.headprune.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.headprune.checkpoint.TextTokenizer.Tokens;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Batches follow length order and close on a count or a padded-token budget, whichever comes first.
 */
class BucketsTest {

  private static Encoded ofLength(int length) {
    return new Encoded(new Tokens(new long[length], new long[length]), null);
  }

  @Test
  void batchesAreLengthSortedAndCutByCountAndTokens() {
    // lengths 10, 100, 20, 100, 30, 10
    List<Encoded> examples =
        IntStream.of(10, 100, 20, 100, 30, 10).mapToObj(BucketsTest::ofLength).toList();
    List<int[]> byCount = Buckets.of(examples, 4);
    assertThat(byCount).hasSize(2);
    assertThat(byCount.get(0)).containsExactly(0, 5, 2, 4);
    // a 200-token budget: 10+10 (2 × 10), then 20 and 30 would pad to 3 × 30 = 90 ≤ 200, 4 × 100 is
    // not
    List<int[]> byTokens = Buckets.of(examples, 4, 200);
    assertThat(byTokens.stream().map(b -> b.length).toList()).containsExactly(4, 2);
    List<int[]> tight = Buckets.of(examples, 4, 100);
    assertThat(tight.stream().map(b -> b.length).toList()).containsExactly(3, 1, 1, 1);
    // an example longer than the budget still gets a batch of its own
    assertThat(Buckets.of(examples, 4, 50).stream().mapToInt(b -> b.length).sum()).isEqualTo(6);
  }
}
