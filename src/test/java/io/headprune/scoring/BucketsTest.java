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
    List<int[]> byTokens = Buckets.byTokens(examples, 4, 200, 1.0);
    assertThat(byTokens.stream().map(b -> b.length).toList()).containsExactly(4, 2);
    List<int[]> tight = Buckets.byTokens(examples, 4, 100, 1.0);
    assertThat(tight.stream().map(b -> b.length).toList()).containsExactly(3, 1, 1, 1);
    // an example longer than the budget still gets a batch of its own
    assertThat(Buckets.byTokens(examples, 4, 50, 1.0).stream().mapToInt(b -> b.length).sum())
        .isEqualTo(6);
  }

  @Test
  void batchesByTokensKeepPaddingUnderItsShare() {
    // sorted: 10, 10, 11, 11, 20, 21, 100, 100, 120
    List<Encoded> examples =
        IntStream.of(100, 10, 20, 11, 120, 10, 21, 11, 100)
            .mapToObj(BucketsTest::ofLength)
            .toList();
    List<int[]> batches = Buckets.byTokens(examples, 64, 256, 0.10);
    // 10,10,11,11: 44 slots, 2 of padding; 20 joining would make 100 slots with 38 of padding;
    // 20,21 (1 of 42); 100,100 (200 slots; 120 would make 360 > 256); 120 alone
    assertThat(batches.stream().map(b -> b.length).toList()).containsExactly(4, 2, 2, 1);
    for (int[] batch : batches) {
      int longest = 0;
      int real = 0;
      for (int i : batch) {
        longest = Math.max(longest, examples.get(i).length());
        real += examples.get(i).length();
      }
      assertThat((double) (batch.length * longest - real) / (batch.length * longest))
          .isLessThanOrEqualTo(0.10);
      assertThat(batch.length * longest).isLessThanOrEqualTo(256);
    }
    // the count still caps a batch
    assertThat(Buckets.byTokens(examples, 2, 256, 0.10).stream().mapToInt(b -> b.length).max())
        .hasValue(2);
  }
}
