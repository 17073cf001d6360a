package io.headprune.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.datasource.AbstractDataSource;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * The pool's own failures, from a real HikariCP pool: every connection in use is "busy" (a 503
 * server-busy), a database that refuses connections is "unreachable" (a 503 database-unavailable).
 */
class DatabasesTest {

  /** A database whose connections do nothing, and that can start refusing new ones. */
  static final class FakeDatabase extends AbstractDataSource {
    final AtomicBoolean refusing = new AtomicBoolean();

    @Override
    public Connection getConnection() throws SQLException {
      if (refusing.get()) {
        throw new SQLException("Connection to 127.0.0.1:5432 refused", "08001");
      }
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) ->
                  switch (method.getName()) {
                    case "isValid", "getAutoCommit" -> true;
                    case "getTransactionIsolation" -> Connection.TRANSACTION_READ_COMMITTED;
                    case "isReadOnly", "isClosed" -> false;
                    case "getNetworkTimeout" -> 0;
                    case "unwrap", "getCatalog", "getSchema" -> null;
                    case "isWrapperFor" -> false;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                  });
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return getConnection();
    }
  }

  private static HikariDataSource pool(DataSource database) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(database);
    config.setMaximumPoolSize(1);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  /** What Spring throws when a transaction cannot get its connection. */
  private static Throwable failureOf(DataSource pool) {
    Throwable failure = catchThrowable(pool::getConnection);
    return new CannotCreateTransactionException("Could not open JPA EntityManager", failure);
  }

  @Test
  void everyConnectionInUseIsBusyNotUnreachable() throws Exception {
    try (HikariDataSource pool = pool(new FakeDatabase());
        Connection held = pool.getConnection()) {
      assertThat(held.isValid(1)).isTrue(); // the pool's one connection, in use
      Throwable failure = failureOf(pool);

      assertThat(failure.getCause()).hasMessageContaining("Connection is not available");
      assertThat(Databases.busy(failure)).isTrue();
      assertThat(Databases.unreachable(failure)).isFalse();
    }
  }

  @Test
  void aRefusingDatabaseIsUnreachableNotBusy() {
    FakeDatabase database = new FakeDatabase();
    database.refusing.set(true);
    try (HikariDataSource pool = pool(database)) {
      Throwable failure = failureOf(pool);

      assertThat(Databases.unreachable(failure)).isTrue();
      assertThat(Databases.busy(failure)).isFalse();
    }
  }

  @Test
  void otherDatabaseErrorsAreNeither() {
    Throwable failure = new DataIntegrityViolationException("duplicate key");

    assertThat(Databases.busy(failure)).isFalse();
    assertThat(Databases.unreachable(failure)).isFalse();
  }
}
