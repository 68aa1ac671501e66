package io.prefstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every file under deploy/ that a cluster uses parses, and the pieces agree with each other. */
class ClusterManifestsTest {
  static final Path DEPLOY = Path.of(System.getProperty("prefstream.deploy.dir", "."));
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  static List<JsonNode> yamlDocs(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) {
          docs.add(n);
        }
      }
    }
    return docs;
  }

  @Test
  void kustomizationListsExistingResourcesAndEveryServiceHasProbesOnDeclaredPorts() throws IOException {
    Path base = DEPLOY.resolve("k8s/base");
    JsonNode kustomization = yamlDocs(base.resolve("kustomization.yaml")).get(0);
    Set<String> deployments = new HashSet<>();
    for (JsonNode r : kustomization.get("resources")) {
      Path file = base.resolve(r.asText());
      assertThat(file).as("kustomize resource").exists();
      for (JsonNode doc : yamlDocs(file)) {
        assertThat(doc.path("apiVersion").asText()).as(file + " apiVersion").isNotEmpty();
        assertThat(doc.path("kind").asText()).as(file + " kind").isNotEmpty();
        assertThat(doc.path("metadata").path("name").asText()).as(file + " name").isNotEmpty();
        if (doc.path("kind").asText().equals("Deployment")) {
          deployments.add(doc.path("metadata").path("name").asText());
          checkDeployment(doc);
        }
      }
    }
    assertThat(deployments).containsExactlyInAnyOrder("prefstream-ingest", "prefstream-learner", "prefstream-scorer");
  }

  private static void checkDeployment(JsonNode d) {
    JsonNode pod = d.path("spec").path("template");
    assertThat(pod.path("metadata").path("labels"))
        .isEqualTo(d.path("spec").path("selector").path("matchLabels"));
    assertThat(pod.path("metadata").path("annotations").path("prometheus.io/scrape").asText()).isEqualTo("true");
    for (JsonNode c : pod.path("spec").path("containers")) {
      Set<String> portNames = new HashSet<>();
      Set<String> portNumbers = new HashSet<>();
      c.path("ports").forEach(p -> {
        portNames.add(p.path("name").asText());
        portNumbers.add(p.path("containerPort").asText());
      });
      assertThat(portNumbers).contains(pod.path("metadata").path("annotations").path("prometheus.io/port").asText());
      for (String probe : List.of("readinessProbe", "livenessProbe")) {
        JsonNode http = c.path(probe).path("httpGet");
        assertThat(http.path("path").asText()).as(probe).isEqualTo("/health");
        assertThat(portNames).as(probe + " port").contains(http.path("port").asText());
      }
      assertThat(c.path("resources").path("requests").path("memory").asText()).isNotEmpty();
      assertThat(c.path("args").get(0).asText()).isIn("ingest", "learner", "scorer");
    }
  }

  @Test
  void everyServiceLogsInAsItsOwnKafkaUserOverTlsAndTheModelPathIsSigned() throws IOException {
    Path base = DEPLOY.resolve("k8s/base");
    Set<String> users = new HashSet<>();
    for (JsonNode doc : yamlDocs(base.resolve("kafka-users.yaml"))) {
      if (doc.path("kind").asText().equals("KafkaUser")) {
        users.add(doc.path("metadata").path("name").asText());
      }
    }
    String properties = yamlDocs(base.resolve("configmap.yaml")).get(0).path("data").path("prefstream.properties")
        .asText();
    assertThat(properties).contains("kafka.security.protocol=SASL_SSL", "kafka.sasl.mechanism=SCRAM-SHA-512",
        "kafka.ssl.truststore.location=/etc/kafka-ca/ca.crt");
    for (String service : List.of("ingest", "learner", "scorer")) {
      JsonNode deployment = yamlDocs(base.resolve(service + ".yaml")).get(0);
      JsonNode pod = deployment.path("spec").path("template").path("spec");
      JsonNode container = pod.path("containers").get(0);
      Map<String, JsonNode> env = new HashMap<>();
      container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
      JsonNode jaas = env.get("PREFSTREAM_KAFKA_SASL_JAAS_CONFIG");
      assertThat(jaas).as(service + " JAAS env").isNotNull();
      String secret = jaas.path("valueFrom").path("secretKeyRef").path("name").asText();
      assertThat(secret).as(service + " logs in as its own user").isEqualTo("prefstream-" + service).isIn(users);
      Map<String, String> mounts = new HashMap<>();
      container.path("volumeMounts").forEach(m -> mounts.put(m.path("name").asText(), m.path("mountPath").asText()));
      assertThat(mounts).containsEntry("kafka-ca", "/etc/kafka-ca");
      boolean signs = !service.equals("ingest");
      assertThat(env.containsKey("PREFSTREAM_CHECKPOINT_SIGNING_KEY_FILE")).as(service + " signing key").isEqualTo(signs);
      if (signs) {
        assertThat(env.get("PREFSTREAM_CHECKPOINT_SIGNING_KEY_FILE").path("value").asText())
            .startsWith(mounts.get("signing") + "/");
      }
      Set<String> volumes = new HashSet<>();
      pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
      assertThat(volumes).containsAll(mounts.keySet());
    }
  }

  @Test
  void theRefitCronJobRunsARealSubcommandAsTheLearnerAndSigns() throws IOException {
    Path base = DEPLOY.resolve("k8s/base");
    JsonNode cron = yamlDocs(base.resolve("refit-base.yaml")).get(0);
    assertThat(cron.path("kind").asText()).isEqualTo("CronJob");
    assertThat(cron.path("spec").path("concurrencyPolicy").asText()).as("two refits must not race").isEqualTo("Forbid");
    JsonNode pod = cron.path("spec").path("jobTemplate").path("spec").path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    picocli.CommandLine cli = new picocli.CommandLine(new io.prefstream.cli.PrefstreamCommand());
    assertThat(cli.getSubcommands()).as("the image's CLI has the subcommand").containsKey(args.get(0));
    picocli.CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("refit-base");
    assertThat(parsed.subcommand().unmatched()).as("every argument is an option of refit-base").isEmpty();
    Map<String, JsonNode> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    assertThat(env.get("PREFSTREAM_KAFKA_SASL_JAAS_CONFIG").path("valueFrom").path("secretKeyRef").path("name")
        .asText()).as("only the learner's principal writes models").isEqualTo("prefstream-learner");
    assertThat(env).containsKey("PREFSTREAM_CHECKPOINT_SIGNING_KEY_FILE");
    Set<String> volumes = new HashSet<>();
    pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
    container.path("volumeMounts").forEach(m -> assertThat(volumes).contains(m.path("name").asText()));
  }

  @Test
  void userKeyedTopicsShareOnePartitionCountAndModelsIsCompacted() throws IOException {
    Map<String, JsonNode> topics = new HashMap<>();
    for (JsonNode doc : yamlDocs(DEPLOY.resolve("k8s/base/topics.yaml"))) {
      assertThat(doc.path("kind").asText()).isEqualTo("KafkaTopic");
      assertThat(doc.path("metadata").path("labels").path("strimzi.io/cluster").asText()).isNotEmpty();
      topics.put(doc.path("metadata").path("name").asText(), doc.path("spec"));
    }
    assertThat(topics).containsKeys("prefstream.events", "prefstream.events.dlq", "prefstream.batches",
        "prefstream.batches.dlq", "prefstream.models", "prefstream.score-requests", "prefstream.scores",
        "prefstream.score-requests.dlq");
    Set<Integer> counts = new HashSet<>();
    for (String t : List.of("prefstream.events", "prefstream.batches", "prefstream.models", "prefstream.score-requests")) {
      counts.add(topics.get(t).path("partitions").asInt());
    }
    assertThat(counts).hasSize(1);
    assertThat(topics.get("prefstream.models").path("config").path("cleanup.policy").asText()).isEqualTo("compact");
  }

  @Test
  void prometheusConfigAndAlertRulesAreWellFormed() throws IOException {
    JsonNode prom = yamlDocs(DEPLOY.resolve("prometheus/prometheus.yml")).get(0);
    assertThat(prom.path("rule_files").get(0).asText()).isEqualTo("alerts.yml");
    assertThat(prom.path("scrape_configs")).isNotEmpty();
    JsonNode rules = yamlDocs(DEPLOY.resolve("prometheus/alerts.yml")).get(0);
    Set<String> alerts = new HashSet<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        assertThat(rule.path("alert").asText()).isNotEmpty();
        assertThat(rule.path("expr").asText()).isNotBlank();
        assertThat(rule.path("annotations").path("summary").asText()).isNotBlank();
        alerts.add(rule.path("alert").asText());
      }
    }
    assertThat(alerts).contains("PrefstreamLearnerConsumerLag", "PrefstreamModelStale", "PrefstreamCheckpointsRefused",
        "PrefstreamEventsDeadLetterGrowth", "PrefstreamAccuracyDrop", "PrefstreamScorerKafkaUnreachable",
        "PrefstreamLearnerKafkaUnreachable", "PrefstreamIngestKafkaUnreachable");
  }

  @Test
  void dashboardParsesAndEveryPanelQueriesPrefstreamOrKafkaMetrics() throws IOException {
    JsonNode dash = JSON.readTree(DEPLOY.resolve("grafana/prefstream-dashboard.json").toFile());
    assertThat(dash.path("panels")).isNotEmpty();
    for (JsonNode panel : dash.path("panels")) {
      assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
    }
    assertThat(MetricReferences.inDashboard(dash)).isNotEmpty().allMatch(n -> n.startsWith("prefstream_") || n.startsWith("kafka_"));
  }

  @Test
  void composeFileRunsKafkaAndTheThreeServices() throws IOException {
    JsonNode compose = yamlDocs(DEPLOY.resolve("docker/docker-compose.yml")).get(0);
    assertThat(compose.path("services").has("kafka")).isTrue();
    for (String svc : List.of("ingest", "learner", "scorer")) {
      assertThat(compose.path("services").path(svc).path("command").get(0).asText()).isEqualTo(svc);
    }
    assertThat(Files.readString(DEPLOY.resolve("docker/Dockerfile"))).contains("ENTRYPOINT").contains("prefstream.jar");
  }
}
