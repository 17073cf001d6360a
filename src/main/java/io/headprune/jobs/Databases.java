package io.headprune.jobs;

import io.micrometer.core.instrument.Metrics;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * What a database failure means for a caller: the database away (retry later) or something else.
 */
public final class Databases {

  private Databases() {}

  /**
   * Whether a failure's cause is the connection to the database (refused, reset, timed out,
   * closed).
   */
  public static boolean unreachable(Throwable e) {
    if (busy(e)) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof CannotCreateTransactionException
          || t instanceof DataAccessResourceFailureException
          || t instanceof SocketException
          || t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException
          || t instanceof SQLException sql
              && (sql.getSQLState() != null && sql.getSQLState().startsWith("08")
                  || "Connection is closed".equals(sql.getMessage()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a failure is the connection pool's timeout while the database answers: every connection
   * stayed in use (HikariCP then reports no connection failure as the cause), not the database
   * away.
   */
  public static boolean busy(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLTransientConnectionException pool
          && pool.getCause() == null
          && pool.getMessage() != null
          && pool.getMessage().contains("Connection is not available")) {
        return true;
      }
    }
    return false;
  }

  /** Counts a request or job that found every connection in use ({@code where}: request, job). */
  public static void countBusy(String where) {
    Metrics.counter("headprune.database.pool.exhausted", "where", where).increment();
  }
}
