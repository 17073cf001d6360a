package io.headprune.system;

import ai.djl.engine.Engine;
import io.headprune.model.Devices;
import io.headprune.pruning.BuildVersion;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.stereotype.Component;

/** {@code /actuator/info}: headprune, DJL and PyTorch versions, role and devices. */
@Component
class EngineInfoContributor implements InfoContributor {

  private final HeadpruneProperties properties;

  EngineInfoContributor(HeadpruneProperties properties) {
    this.properties = properties;
  }

  @Override
  public void contribute(Info.Builder builder) {
    Map<String, Object> headprune = new LinkedHashMap<>();
    headprune.put("version", BuildVersion.get());
    headprune.put("role", properties.role().name().toLowerCase(Locale.ROOT));
    headprune.put("workerDevices", properties.worker().devices());
    builder.withDetail("headprune", headprune);
    Engine engine = Devices.engine();
    builder.withDetail(
        "djl", Map.of("version", Engine.getDjlVersion(), "engine", engine.getEngineName()));
    builder.withDetail(
        "pytorch",
        Map.of(
            "version",
            engine.getVersion(),
            "gpus",
            engine.getGpuCount(),
            "devices",
            Devices.parseList("auto").stream().map(Object::toString).toList()));
  }
}
