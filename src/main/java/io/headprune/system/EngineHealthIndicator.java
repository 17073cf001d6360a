package io.headprune.system;

import ai.djl.engine.Engine;
import io.headprune.model.Devices;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** {@code engine}: the DJL PyTorch engine is loaded; its version and the devices it sees. */
@Component("engine")
class EngineHealthIndicator implements HealthIndicator {

  @Override
  public Health health() {
    try {
      Engine engine = Devices.engine();
      return Health.up()
          .withDetail("engine", engine.getEngineName())
          .withDetail("pytorchVersion", engine.getVersion())
          .withDetail("djlVersion", Engine.getDjlVersion())
          .withDetail("gpus", engine.getGpuCount())
          .withDetail("devices", Devices.parseList("auto").stream().map(Object::toString).toList())
          .build();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      return Health.down().withDetail("error", String.valueOf(e.getMessage())).build();
    }
  }
}
