package io.headprune.system;

import java.nio.file.Path;

/**
 * A process that starts the embedded PostgreSQL on a directory and waits to be killed: the JVM that
 * {@link EmbeddedRestartIT} kills with SIGKILL.
 */
public final class EmbeddedPostgresChild {

  private EmbeddedPostgresChild() {}

  public static void main(String[] args) throws Exception {
    EmbeddedPostgresHost host = EmbeddedPostgresHost.start(Path.of(args[0]));
    System.out.println("ready " + host.postgres().getPort());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
