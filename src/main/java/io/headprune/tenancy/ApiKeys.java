package io.headprune.tenancy;

import io.headprune.problem.ForbiddenException;
import io.headprune.problem.InvalidInputException;
import io.headprune.problem.NotFoundException;
import jakarta.annotation.Nullable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** API keys: created (shown once), listed by prefix, revoked, and verified on every request. */
@Service
public class ApiKeys {

  private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

  /** Tenant names: lower-case letters, digits and dashes, as in a DNS label. */
  static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /** The tenant that exists from the start, owner of rows older than tenancy. */
  public static final String DEFAULT_TENANT = "default";

  /**
   * A key just created: the only time the key itself is shown.
   *
   * @param key the key, {@code hp_…}
   * @param prefix its first characters, which listings show
   */
  public record NewKey(String key, String prefix, String tenant, String role, Instant createdAt) {}

  /** A key as listings show it (never the key). */
  public record KeyView(
      String prefix,
      String tenant,
      String role,
      Instant createdAt,
      @Nullable Instant lastUsedAt,
      boolean revoked,
      @Nullable Instant revokedAt) {
    static KeyView of(ApiKeyEntity row) {
      return new KeyView(
          row.prefix,
          row.tenant,
          row.role,
          row.createdAt,
          row.lastUsedAt,
          row.revoked,
          row.revokedAt);
    }
  }

  private final TenancyRepositories.Keys keys;
  private final TenancyRepositories.Tenants tenants;
  private final Audit audit;
  private final Clock clock;

  ApiKeys(
      TenancyRepositories.Keys keys,
      TenancyRepositories.Tenants tenants,
      Audit audit,
      Clock clock) {
    this.keys = keys;
    this.tenants = tenants;
    this.audit = audit;
    this.clock = clock;
  }

  /**
   * Creates a key of {@code role} for {@code tenant} on behalf of {@code by}; a tenant that does
   * not exist yet is created (by a platform admin only).
   */
  @Transactional
  public NewKey create(String tenant, Role role, Caller by) {
    if (tenant == null || !TENANT.matcher(tenant).matches()) {
      throw new InvalidInputException(
          "tenant '"
              + tenant
              + "' must be 1 to 63 lower-case letters, digits or dashes, "
              + "starting with a letter or digit");
    }
    if (!by.mayAdminister(tenant)) {
      throw new ForbiddenException(
          "a " + by.role().wire() + " key can create keys of its own tenant only");
    }
    if (role == Role.PLATFORM_ADMIN && by.role() != Role.PLATFORM_ADMIN) {
      throw new ForbiddenException("only a platform-admin key can create platform-admin keys");
    }
    NewKey key = insert(tenant, role);
    audit.record(by.tenant(), by.actor(), "key.create", key.prefix());
    if (!by.tenant().equals(tenant)) {
      audit.record(tenant, by.actor(), "key.create", key.prefix());
    }
    return key;
  }

  /** Inserts a new key (and its tenant if new); no audit row: the caller writes it. */
  private NewKey insert(String tenant, Role role) {
    Instant now = clock.instant();
    if (tenants.findById(tenant).isEmpty()) {
      TenantEntity row = new TenantEntity();
      row.id = tenant;
      row.createdAt = now;
      tenants.saveAndFlush(row);
    }
    String key;
    do {
      key = KeyHashes.generate();
    } while (keys.existsById(
        KeyHashes.prefix(key))); // 48-bit prefixes: a clash is all but impossible
    store(key, tenant, role, now);
    return new NewKey(key, KeyHashes.prefix(key), tenant, role.wire(), now);
  }

  private void store(String key, String tenant, Role role, Instant now) {
    ApiKeyEntity row = new ApiKeyEntity();
    row.prefix = KeyHashes.prefix(key);
    row.hash = KeyHashes.sha256(key);
    row.tenant = tenant;
    row.role = role.wire();
    row.createdAt = now;
    keys.saveAndFlush(row);
  }

  /** The keys {@code by} may see: its tenant's, or every key for a platform admin. */
  @Transactional(readOnly = true)
  public List<KeyView> list(Caller by) {
    List<ApiKeyEntity> rows =
        by.role() == Role.PLATFORM_ADMIN
            ? keys.findAllByOrderByTenantAscCreatedAtAsc()
            : keys.findByTenantOrderByCreatedAtAsc(by.tenant());
    return rows.stream().map(KeyView::of).toList();
  }

  /**
   * Revokes the key with {@code prefix}; a key of a tenant {@code by} does not administer is a 404.
   */
  @Transactional
  public KeyView revoke(String prefix, Caller by) {
    ApiKeyEntity row =
        keys.findById(prefix)
            .filter(k -> by.mayAdminister(k.tenant))
            .orElseThrow(() -> new NotFoundException("key does not exist"));
    if (!row.revoked) {
      row.revoked = true;
      row.revokedAt = clock.instant();
      audit.record(row.tenant, by.actor(), "key.revoke", prefix);
    }
    return KeyView.of(row);
  }

  /**
   * The caller a presented key stands for, if it is a valid key that is not revoked. The work is
   * the same whether or not a row has the key's prefix ({@link KeyHashes#matches}).
   */
  @Transactional
  public Optional<Caller> authenticate(String presented) {
    if (!KeyHashes.wellFormed(presented)) {
      return Optional.empty();
    }
    String prefix = KeyHashes.prefix(presented);
    Optional<ApiKeyEntity> row = keys.findById(prefix);
    if (!KeyHashes.matches(presented, row.map(k -> k.hash).orElse(null)) || row.get().revoked) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    // last use is written at most once a minute per key: verifying a key rarely writes
    Instant lastUsed = row.get().lastUsedAt;
    if (lastUsed == null || lastUsed.isBefore(now.minus(Duration.ofMinutes(1)))) {
      keys.touch(prefix, now, now.minus(Duration.ofMinutes(1)));
    }
    return Optional.of(new Caller(row.get().tenant, Role.of(row.get().role), prefix));
  }

  /**
   * On the first start (no key at all): a platform-admin key for the default tenant — {@code
   * configured} if given (a secret the deployment holds), else a new one written to {@code file}
   * with mode 0600. Later starts change nothing.
   */
  @Transactional
  public void bootstrap(String configured, Path file) {
    tenants.lockById(DEFAULT_TENANT).orElseThrow(); // replicas starting together take turns
    if (keys.count() > 0) {
      return;
    }
    if (configured != null && !configured.isBlank()) {
      if (!KeyHashes.wellFormed(configured)) {
        throw new IllegalStateException(
            "headprune.security.admin-key must be hp_ followed by at least 22 base64url "
                + "characters, e.g. hp_$(openssl rand -hex 24)");
      }
      store(configured, DEFAULT_TENANT, Role.PLATFORM_ADMIN, clock.instant());
      audit.record(DEFAULT_TENANT, "bootstrap", "key.create", KeyHashes.prefix(configured));
      log.info(
          "created the platform-admin key {}… from headprune.security.admin-key",
          KeyHashes.prefix(configured));
      return;
    }
    NewKey key = insert(DEFAULT_TENANT, Role.PLATFORM_ADMIN);
    audit.record(DEFAULT_TENANT, "bootstrap", "key.create", key.prefix());
    writePrivate(file, key.key());
    log.info(
        "created the platform-admin key {}…; it is in {} (readable by this user only)",
        key.prefix(),
        file);
  }

  /**
   * Writes {@code text} to {@code file}, readable and writable by its owner only, replacing it
   * atomically.
   */
  static void writePrivate(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temporary =
          Files.createTempFile(
              file.toAbsolutePath().getParent(),
              ".admin",
              ".key",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temporary, text + "\n", StandardCharsets.US_ASCII);
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("writing the admin key", e);
    }
  }
}
