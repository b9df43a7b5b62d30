package dev.vlm.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under deploy/k8s parses into a typed Kubernetes model, and a field the model
 * does not know fails the test, so a typo cannot slip through as an ignored key.
 *
 * <p>Core, apps, RBAC, Gateway API and Prometheus Operator kinds use the fabric8 models. Those
 * keep unknown fields in an {@code additionalProperties} map instead of refusing them, so the
 * test walks every parsed object and requires each such map to be empty. The inference
 * extension's InferencePool (inference.networking.k8s.io/v1) and InferenceObjective
 * (inference.networking.x-k8s.io/v1alpha2), and kustomize's Kustomization, have no fabric8 model:
 * records below mirror their published schemas (the fields these manifests may use), read with
 * unknown properties refused.
 */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML =
      YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  record InferencePool(String apiVersion, String kind, ObjectMeta metadata, PoolSpec spec) {}

  record PoolSpec(LabelSelector selector, List<PortNumber> targetPorts, String appProtocol, PickerRef endpointPickerRef) {}

  record PortNumber(int number) {}

  record PickerRef(String group, String kind, String name, PortNumber port, String failureMode) {}

  record InferenceObjective(String apiVersion, String kind, ObjectMeta metadata, ObjectiveSpec spec) {}

  record ObjectiveSpec(Integer priority, PoolRef poolRef) {}

  record PoolRef(String group, String kind, String name) {}

  record Kustomization(
      String apiVersion, String kind, List<LabelPairs> labels, List<String> resources, List<ImageRewrite> images,
      List<ReplicaCount> replicas, List<Patch> patches) {}

  record LabelPairs(Map<String, String> pairs, Boolean includeSelectors, Boolean includeTemplates) {}

  record ImageRewrite(String name, String newName, String newTag, String digest) {}

  record ReplicaCount(String name, int count) {}

  record Patch(String path, String patch) {}

  private static final Map<String, Class<?>> KINDS = Map.ofEntries(
      Map.entry("v1/ConfigMap", ConfigMap.class),
      Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
      Map.entry("v1/Service", Service.class),
      Map.entry("v1/ServiceAccount", ServiceAccount.class),
      Map.entry("apps/v1/Deployment", Deployment.class),
      Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
      Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class),
      Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
      Map.entry("gateway.networking.k8s.io/v1/Gateway", Gateway.class),
      Map.entry("gateway.networking.k8s.io/v1/HTTPRoute", HTTPRoute.class),
      Map.entry("inference.networking.k8s.io/v1/InferencePool", InferencePool.class),
      Map.entry("inference.networking.x-k8s.io/v1alpha2/InferenceObjective", InferenceObjective.class),
      Map.entry("kustomize.config.k8s.io/v1beta1/Kustomization", Kustomization.class));

  private static Path k8s() {
    return TestData.repoRoot().resolve("deploy/k8s");
  }

  private static List<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.walk(k8s())) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  /** Each YAML document of {@code file}, parsed into its kind's typed model. */
  private static List<Object> parse(Path file) throws IOException {
    List<Object> objects = new ArrayList<>();
    try (var parser = new YAMLFactory().createParser(file.toFile())) {
      for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
        objects.add(typed(doc, file.toString()));
      }
    }
    return objects;
  }

  private static Object typed(JsonNode doc, String where) throws IOException {
    String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
    Class<?> type = KINDS.get(key);
    assertThat(type).as("%s: no typed model for %s", where, key).isNotNull();
    Object object = YAML.treeToValue(doc, type);
    List<String> unknown = new ArrayList<>();
    requireKnownFields(object, key, unknown);
    assertThat(unknown).as("%s: fields the %s model does not know", where, key).isEmpty();
    return object;
  }

  /** Collects the non-empty additionalProperties of every fabric8 object reachable from {@code value}. */
  private static void requireKnownFields(Object value, String path, List<String> unknown) {
    switch (value) {
      case null -> {}
      case List<?> list -> {
        for (int i = 0; i < list.size(); i++) {
          requireKnownFields(list.get(i), path + "[" + i + "]", unknown);
        }
      }
      case Map<?, ?> map -> map.forEach((k, v) -> requireKnownFields(v, path + "." + k, unknown));
      case Record record -> {
        for (var component : record.getClass().getRecordComponents()) {
          requireKnownFields(invoke(component.getAccessor(), record), path + "." + component.getName(), unknown);
        }
      }
      default -> {
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
          return;
        }
        for (Method getter : value.getClass().getMethods()) {
          if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
            continue;
          }
          Object field = invoke(getter, value);
          if (getter.getName().equals("getAdditionalProperties")) {
            if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
              unknown.add(path + ": " + extra.keySet());
            }
          } else {
            requireKnownFields(field, path + "." + getter.getName().substring(3), unknown);
          }
        }
      }
    }
  }

  private static Object invoke(Method getter, Object target) {
    try {
      return getter.invoke(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(getter + " failed", e);
    }
  }

  @Test
  void everyManifestParsesIntoItsTypedModel() throws Exception {
    List<Path> files = manifests();
    assertThat(files).isNotEmpty();
    for (Path file : files) {
      assertThat(parse(file)).as(file.toString()).isNotEmpty();
    }
  }

  @Test
  void kustomizationsNameFilesThatExist() throws Exception {
    for (Path file : manifests()) {
      if (!file.getFileName().toString().equals("kustomization.yaml")) {
        continue;
      }
      Kustomization k = (Kustomization) parse(file).getFirst();
      List<String> named = new ArrayList<>(Objects.requireNonNullElse(k.resources(), List.of()));
      Objects.requireNonNullElse(k.patches(), List.<Patch>of()).forEach(p -> named.add(p.path()));
      for (String entry : named) {
        assertThat(file.getParent().resolve(entry)).as("%s names %s", file, entry).exists();
      }
    }
  }

  @Test
  void thePoolSelectsTheServerPodsAndEachModelHasAnObjective() throws Exception {
    Path base = k8s().resolve("base");
    InferencePool pool = (InferencePool) parse(base.resolve("inferencepool.yaml")).getFirst();
    Deployment server = (Deployment) parse(base.resolve("deployment.yaml")).getFirst();
    ConfigMap config = (ConfigMap) parse(base.resolve("configmap.yaml")).getFirst();

    assertThat(server.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(pool.spec().selector().getMatchLabels());
    int httpPort = server.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().stream()
        .filter(p -> p.getName().equals("http")).findFirst().orElseThrow().getContainerPort();
    assertThat(pool.spec().targetPorts()).containsExactly(new PortNumber(httpPort));
    JsonNode serverConfig = YAML.readTree(config.getData().get("server.yaml"));
    List<String> models = serverConfig.get("models").findValuesAsText("name");
    List<String> objectives = parse(base.resolve("inferenceobjectives.yaml")).stream()
        .map(o -> ((InferenceObjective) o).metadata().getName()).toList();
    assertThat(objectives).containsExactlyInAnyOrderElementsOf(models);
    assertThat(serverConfig.get("http_port").asInt()).isEqualTo(httpPort);
  }

  @Test
  void anUnknownFieldFails() {
    JsonNode typo = YAML.valueToTree(Map.of("apiVersion", "apps/v1", "kind", "Deployment",
        "spec", Map.of("replica", 2)));
    JsonNode poolTypo = YAML.valueToTree(Map.of("apiVersion", "inference.networking.k8s.io/v1",
        "kind", "InferencePool", "spec", Map.of("targetPortz", List.of())));

    assertThatThrownBy(() -> typed(typo, "typo")).hasMessageContaining("replica");
    assertThatThrownBy(() -> typed(poolTypo, "typo")).hasMessageContaining("targetPortz");
  }
}
