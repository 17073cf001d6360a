package io.headprune.jobs;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskDescriptor;
import io.headprune.problem.ConflictException;
import io.headprune.problem.InvalidInputException;
import io.headprune.tenancy.Secrets;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Completion callbacks: registered with a job (URL checked against the allow-list and the network
 * policy, secret encrypted), scheduled in the transaction that makes the job terminal, delivered by
 * a worker ({@link CallbackDelivery}).
 */
@Component
class Callbacks {

  /** The task that delivers one job's callback; its data is the job id. */
  static final TaskDescriptor<String> DELIVERY =
      TaskDescriptor.of("deliver-callback", String.class);

  private final JdbcTemplate sql;
  private final Secrets secrets;
  private final CallbackSettings settings;
  private final ObjectProvider<SchedulerClient> scheduler;
  private final Clock clock;

  Callbacks(
      JdbcTemplate sql,
      Secrets secrets,
      CallbackSettings settings,
      // looked up on use: the scheduler's tasks need the job runner, which needs this
      ObjectProvider<SchedulerClient> scheduler,
      Clock clock) {
    this.sql = sql;
    this.secrets = secrets;
    this.settings = settings;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /**
   * Checks a job's callback before its transaction: the secret, the URL against the allow-list and
   * the network policy (a DNS lookup: never while a database connection is held), and that secrets
   * can be stored. Returns the URL to register.
   */
  URI validate(JobRequest.Callback callback) {
    if (callback.secret() == null) {
      throw new InvalidInputException("callback.secret is required (16 to 256 characters)");
    }
    if (callback.secret().startsWith("whsec_")) {
      try {
        if (Base64.getDecoder().decode(callback.secret().substring(6)).length < 16) {
          throw new InvalidInputException(
              "callback.secret whsec_… must hold at least 16 bytes of base64");
        }
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "callback.secret starts with whsec_, so the rest must be base64 (Standard Webhooks)");
      }
    }
    URI url = check(callback.url());
    if (!secrets.available()) {
      throw new ConflictException(
          "callbacks need headprune.security.key-encryption-key: their secrets are stored encrypted");
    }
    return url;
  }

  /** Stores job {@code job}'s callback, {@code url} as {@link #validate} returned it. */
  @Transactional(propagation = Propagation.MANDATORY)
  void register(UUID job, String tenant, URI url, String secret) {
    sql.update(
        "insert into callbacks (job_id, tenant, url, secret) values (?, ?, ?, ?)",
        job,
        tenant,
        url.toString(),
        secrets.encrypt(tenant, secret));
  }

  /**
   * Schedules the delivery of job {@code job}'s callback, if it has one (in the terminal
   * transition's transaction).
   */
  @Transactional(propagation = Propagation.MANDATORY)
  void scheduleDelivery(UUID job) {
    Integer callbacks =
        sql.queryForObject("select count(*) from callbacks where job_id = ?", Integer.class, job);
    if (callbacks != null && callbacks > 0) {
      SchedulerClient client = scheduler.getObject();
      client.scheduleIfNotExists(
          DELIVERY
              .instance(job.toString())
              .data(job.toString())
              .priority(JobQueue.DELIVERY_PRIORITY)
              .scheduledTo(clock.instant()));
      // a local scheduler polls only now and then: wake it once the row is visible
      if (client instanceof Scheduler local) {
        AfterCommit.run(local::triggerCheckForDueExecutions);
      }
    }
  }

  /**
   * The URL of a callback if the service may call it: https (or http when allowed), a host of the
   * allow-list, and — unless private networks are allowed — no address of the host on loopback,
   * link-local, private or unique-local networks. Checked at submission and again at each delivery
   * (a name may resolve elsewhere later).
   */
  URI check(String text) {
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException e) {
      throw new InvalidInputException("callback.url is not a URL");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(scheme.equals("http") && settings.allowHttp())) {
      throw new InvalidInputException(
          "callback.url must be https" + (settings.allowHttp() ? " or http" : ""));
    }
    String host = url.getHost();
    if (host == null || url.getUserInfo() != null) {
      throw new InvalidInputException("callback.url needs a host and no user information");
    }
    String lower = host.toLowerCase(Locale.ROOT);
    boolean listed =
        settings.allowedHosts().stream()
            .map(h -> h.toLowerCase(Locale.ROOT))
            .anyMatch(h -> h.startsWith("*.") ? lower.endsWith(h.substring(1)) : lower.equals(h));
    if (!listed) {
      throw new InvalidInputException(
          "callback host "
              + host
              + " is not allowed: the service calls only hosts that headprune.callbacks.allowed-hosts names");
    }
    if (!settings.allowPrivateNetworks()) {
      InetAddress[] addresses;
      try {
        addresses = InetAddress.getAllByName(host);
      } catch (UnknownHostException e) {
        throw new InvalidInputException("callback host " + host + " does not resolve");
      }
      for (InetAddress address : addresses) {
        if (internal(address)) {
          throw new InvalidInputException(
              "callback host "
                  + host
                  + " resolves to an internal address; the service does not call into private networks");
        }
      }
    }
    return url;
  }

  /** Loopback, link-local, private (site-local), unique-local (fc00::/7), wildcard or multicast. */
  static boolean internal(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length == 16) {
      byte[] embedded = embeddedIpv4(bytes);
      if (embedded != null) { // judged by the IPv4 address it carries
        return internalIpv4(embedded);
      }
      for (int[] block : IPV6_NOT_GLOBAL) {
        if (within(bytes, block)) {
          return true;
        }
      }
      return false;
    }
    return internalIpv4(bytes);
  }

  private static boolean internalIpv4(byte[] bytes) {
    for (int[] block : IPV4_NOT_GLOBAL) {
      if (within(bytes, block)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The IPv4 address an IPv6 address stands for, where it stands for one: IPv4-mapped
   * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
   * (2002:aabb:ccdd::). Null otherwise.
   */
  private static byte[] embeddedIpv4(byte[] v6) {
    boolean zeros10 = true;
    for (int i = 0; i < 10; i++) {
      zeros10 &= v6[i] == 0;
    }
    boolean mapped = zeros10 && (v6[10] & 0xff) == 0xff && (v6[11] & 0xff) == 0xff;
    boolean compatible = zeros10 && v6[10] == 0 && v6[11] == 0 && !(bytes12to15Small(v6));
    boolean nat64 = prefix(v6, new int[] {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0});
    if (mapped || compatible || nat64) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    if ((v6[0] & 0xff) == 0x20 && (v6[1] & 0xff) == 0x02) { // 6to4
      return Arrays.copyOfRange(v6, 2, 6);
    }
    return null;
  }

  /** :: and ::1 are not IPv4-compatible addresses (they are the unspecified and loopback). */
  private static boolean bytes12to15Small(byte[] v6) {
    return v6[12] == 0 && v6[13] == 0 && v6[14] == 0 && (v6[15] & 0xff) <= 1;
  }

  private static boolean prefix(byte[] bytes, int[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Address blocks that are not globally reachable (IANA's special-purpose registries, RFC 6890 and
   * its updates): {first bytes..., prefix length}.
   */
  private static final List<int[]> IPV4_NOT_GLOBAL =
      List.of(
          new int[] {0, 8}, // "this network"
          new int[] {10, 8}, // private
          new int[] {100, 64, 10}, // shared address space (carrier-grade NAT)
          new int[] {127, 8}, // loopback
          new int[] {169, 254, 16}, // link-local
          new int[] {172, 16, 12}, // private
          new int[] {192, 0, 0, 24}, // IETF protocol assignments
          new int[] {192, 0, 2, 24}, // documentation
          new int[] {192, 88, 99, 24}, // 6to4 relay anycast (deprecated)
          new int[] {192, 168, 16}, // private
          new int[] {198, 18, 15}, // benchmarking
          new int[] {198, 51, 100, 24}, // documentation
          new int[] {203, 0, 113, 24}, // documentation
          new int[] {224, 4}, // multicast
          new int[] {240, 4}); // reserved, and the limited broadcast

  private static final List<int[]> IPV6_NOT_GLOBAL =
      List.of(
          new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127}, // :: and ::1
          new int[] {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01, 48}, // local-use NAT64
          new int[] {0x01, 0x00, 0, 0, 0, 0, 0, 0, 64}, // discard-only
          new int[] {0x20, 0x01, 0x00, 23}, // IETF protocol assignments (Teredo included)
          new int[] {0x20, 0x01, 0x0d, 0xb8, 32}, // documentation
          new int[] {0x3f, 0xff, 20}, // documentation
          new int[] {0xfc, 7}, // unique local
          new int[] {0xfe, 0x80, 10}, // link-local
          new int[] {0xfe, 0xc0, 10}, // site-local (deprecated)
          new int[] {0xff, 8}); // multicast

  /** Whether {@code address} lies in {@code block} ({first bytes..., prefix length}). */
  private static boolean within(byte[] address, int[] block) {
    int bits = block[block.length - 1];
    for (int i = 0; i < bits; i++) {
      int have = (address[i / 8] >> (7 - i % 8)) & 1;
      int want = i / 8 < block.length - 1 ? (block[i / 8] >> (7 - i % 8)) & 1 : 0;
      if (have != want) {
        return false;
      }
    }
    return true;
  }

  /** What a job's view says of its callback: the URL, whether it was delivered, each attempt. */
  JobView.Callback view(UUID job) {
    return views(List.of(job)).get(job);
  }

  /**
   * The callbacks of {@code jobs} (of those that have one), in two queries whatever their number: a
   * page of the jobs listing costs no query per job.
   */
  Map<UUID, JobView.Callback> views(List<UUID> jobs) {
    Map<UUID, JobView.Callback> views = new HashMap<>();
    if (jobs.isEmpty()) {
      return views;
    }
    record Row(UUID job, String url, Timestamp delivered, Timestamp givenUp) {}
    List<Row> rows =
        sql.query(
            "select job_id, url, delivered_at, given_up_at from callbacks where job_id = any(?)",
            statement -> statement.setArray(1, uuids(statement, jobs)),
            (r, i) ->
                new Row(
                    r.getObject("job_id", UUID.class),
                    r.getString("url"),
                    r.getTimestamp("delivered_at"),
                    r.getTimestamp("given_up_at")));
    if (rows.isEmpty()) {
      return views; // no attempts either: one query
    }
    List<UUID> withCallbacks = rows.stream().map(Row::job).toList();
    Map<UUID, List<JobView.CallbackAttempt>> attempts = new HashMap<>();
    sql.query(
        "select job_id, attempt, at, status, error from callback_attempts"
            + " where job_id = any(?) order by job_id, attempt",
        statement -> statement.setArray(1, uuids(statement, withCallbacks)),
        (ResultSet r) -> {
          attempts
              .computeIfAbsent(r.getObject("job_id", UUID.class), k -> new ArrayList<>())
              .add(
                  new JobView.CallbackAttempt(
                      r.getInt("attempt"),
                      r.getTimestamp("at").toInstant(),
                      (Integer) r.getObject("status"),
                      r.getString("error")));
        });
    for (Row row : rows) {
      views.put(
          row.job(),
          new JobView.Callback(
              row.url(),
              row.delivered() == null ? null : row.delivered().toInstant(),
              row.givenUp() == null ? null : row.givenUp().toInstant(),
              attempts.getOrDefault(row.job(), List.of())));
    }
    return views;
  }

  private static java.sql.Array uuids(java.sql.PreparedStatement statement, List<UUID> ids)
      throws java.sql.SQLException {
    return statement.getConnection().createArrayOf("uuid", ids.toArray());
  }
}
