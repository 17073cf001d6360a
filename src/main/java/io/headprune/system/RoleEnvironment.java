package io.headprune.system;

import java.util.Locale;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns {@code headprune.role} into the settings it implies: an api process schedules jobs but
 * never runs them ({@code db-scheduler.enabled=false}); a worker runs {@code
 * headprune.worker.concurrency} jobs per device entry ({@code db-scheduler.threads}).
 */
public class RoleEnvironment implements EnvironmentPostProcessor {

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    String role = environment.getProperty("headprune.role", "both").toLowerCase(Locale.ROOT);
    if (role.equals("api")) {
      // the role decides, whatever else is configured
      environment
          .getPropertySources()
          .addFirst(
              new MapPropertySource("headprune-role", Map.of("db-scheduler.enabled", "false")));
    }
    // a default only: an explicit db-scheduler.threads wins
    String devices = environment.getProperty("headprune.worker.devices", "auto").trim();
    int entries = devices.equalsIgnoreCase("auto") ? 1 : devices.split(",").length;
    int count =
        entries
            * Math.max(
                1,
                Integer.parseInt(
                    environment.getProperty("headprune.worker.concurrency", "1").trim()));
    environment
        .getPropertySources()
        .addLast(
            new MapPropertySource(
                "headprune-devices", Map.of("db-scheduler.threads", Integer.toString(count))));
  }
}
