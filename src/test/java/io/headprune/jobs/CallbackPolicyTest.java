package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.headprune.problem.InvalidInputException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Callbacks go only to allowed hosts, over https, and never into private networks unless
 * configured.
 */
class CallbackPolicyTest {

  private static Callbacks callbacks(List<String> hosts, boolean privateNetworks, boolean http) {
    return new Callbacks(
        null,
        null,
        new CallbackSettings(
            hosts, privateNetworks, http, Duration.ofHours(1), Duration.ofSeconds(1)),
        null,
        null);
  }

  @Test
  void onlyListedHostsOverHttpsOutsidePrivateNetworks() {
    Callbacks strict = callbacks(List.of("localhost", "*.example.org"), false, false);
    assertThatThrownBy(() -> strict.check("https://localhost:8443/hook"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("internal address");
    assertThatThrownBy(() -> strict.check("https://127.0.0.1/hook"))
        .hasMessageContaining("is not allowed");
    assertThatThrownBy(() -> strict.check("http://localhost/hook"))
        .hasMessageContaining("must be https");
    assertThatThrownBy(() -> strict.check("https://user:pw@localhost/hook"))
        .hasMessageContaining("no user information");
    assertThatThrownBy(() -> strict.check("https://evil.example.com/hook"))
        .hasMessageContaining("is not allowed");
    assertThatThrownBy(() -> strict.check("https://example.org.evil.com/hook"))
        .hasMessageContaining("is not allowed");
    assertThatThrownBy(() -> callbacks(List.of(), true, true).check("https://localhost/hook"))
        .as("an empty allow-list allows nothing")
        .hasMessageContaining("is not allowed");
    assertThat(
            callbacks(List.of("localhost"), true, true).check("http://localhost:9/hook").getPort())
        .isEqualTo(9);
  }

  @Test
  void internalAddressesAreRecognised() throws Exception {
    for (String internal :
        List.of(
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "224.0.0.1",
            // what an outside probe got past the filter: benchmarking, IETF assignments, the
            // NAT64 and IPv4-compatible forms of the loopback
            "198.18.0.1",
            "192.0.0.1",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "::ffff:10.0.0.1",
            "2002:7f00:1::1",
            "64:ff9b:1::1",
            "2001:db8::1",
            "192.0.2.10",
            "255.255.255.255",
            "::")) {
      assertThat(Callbacks.internal(InetAddress.getByName(internal))).as(internal).isTrue();
    }
    for (String external :
        List.of(
            "8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1")) {
      assertThat(Callbacks.internal(InetAddress.getByName(external))).as(external).isFalse();
    }
  }
}
