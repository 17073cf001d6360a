package io.headprune.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code restricted} Pod Security Standard (kubernetes.io/docs/concepts/security/
 * pod-security-standards, the baseline's controls included) as checks of a pod spec: what the
 * admission controller at that level would refuse.
 */
final class PodSecurity {

  private PodSecurity() {}

  private static final Set<String> VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  /** Why the pod spec breaks the restricted level (empty: it does not). */
  @SuppressWarnings("unchecked")
  static List<String> restrictedViolations(Map<String, Object> pod) {
    List<String> violations = new ArrayList<>();
    for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
      if (Boolean.TRUE.equals(pod.get(host))) {
        violations.add(host + " is true");
      }
    }
    Map<String, Object> podContext = map(pod.get("securityContext"));
    for (Object volume : list(pod.get("volumes"))) {
      Map<String, Object> v = map(volume);
      for (String key : v.keySet()) {
        if (!key.equals("name") && !VOLUME_TYPES.contains(key)) {
          violations.add("volume " + v.get("name") + " is of type " + key);
        }
      }
    }
    if (podContext.get("runAsUser") instanceof Number uid && uid.longValue() == 0) {
      violations.add("the pod runs as user 0");
    }
    List<Object> containers = new ArrayList<>(list(pod.get("containers")));
    containers.addAll(list(pod.get("initContainers")));
    containers.addAll(list(pod.get("ephemeralContainers")));
    if (containers.isEmpty()) {
      violations.add("no containers");
    }
    for (Object c : containers) {
      Map<String, Object> container = map(c);
      String name = "container " + container.get("name");
      Map<String, Object> context = map(container.get("securityContext"));
      if (Boolean.TRUE.equals(context.get("privileged"))) {
        violations.add(name + " is privileged");
      }
      if (!Boolean.FALSE.equals(context.get("allowPrivilegeEscalation"))) {
        violations.add(name + " does not set allowPrivilegeEscalation: false");
      }
      Object nonRoot =
          context.containsKey("runAsNonRoot")
              ? context.get("runAsNonRoot")
              : podContext.get("runAsNonRoot");
      if (!Boolean.TRUE.equals(nonRoot)) {
        violations.add(name + " may run as root (runAsNonRoot is not true)");
      }
      if (context.get("runAsUser") instanceof Number uid && uid.longValue() == 0) {
        violations.add(name + " runs as user 0");
      }
      Map<String, Object> seccomp =
          map(
              context.containsKey("seccompProfile")
                  ? context.get("seccompProfile")
                  : podContext.get("seccompProfile"));
      if (!"RuntimeDefault".equals(seccomp.get("type"))
          && !"Localhost".equals(seccomp.get("type"))) {
        violations.add(name + " has no RuntimeDefault or Localhost seccomp profile");
      }
      Map<String, Object> capabilities = map(context.get("capabilities"));
      if (!list(capabilities.get("drop")).contains("ALL")) {
        violations.add(name + " does not drop ALL capabilities");
      }
      for (Object added : list(capabilities.get("add"))) {
        if (!"NET_BIND_SERVICE".equals(added)) {
          violations.add(name + " adds capability " + added);
        }
      }
      for (Object port : list(container.get("ports"))) {
        if (map(port).get("hostPort") instanceof Number hostPort && hostPort.intValue() != 0) {
          violations.add(name + " uses host port " + hostPort);
        }
      }
    }
    return violations;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value) {
    return value instanceof List<?> l ? (List<Object>) l : List.of();
  }
}
