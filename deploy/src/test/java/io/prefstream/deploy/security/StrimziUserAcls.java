package io.prefstream.deploy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs of the Strimzi {@code KafkaUser} manifests in {@code deploy/k8s/base/kafka-users.yaml}, as the Kafka
 * {@link AclBinding}s Strimzi's user operator creates from them ({@code User:<name>} for a SCRAM user), so a test
 * can give an embedded broker exactly what a cluster would hold.
 */
final class StrimziUserAcls {
  static final Path DEPLOY = Path.of(System.getProperty("prefstream.deploy.dir", "."));
  static final Path FILE = DEPLOY.resolve("k8s/base/kafka-users.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private StrimziUserAcls() {}

  /** KafkaUser name → its ACLs, in file order. */
  static Map<String, List<AclBinding>> read(Path file) throws IOException {
    Map<String, List<AclBinding>> out = new LinkedHashMap<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc == null || doc.isNull() || doc.isEmpty() || !"KafkaUser".equals(doc.path("kind").asText())) {
          continue;
        }
        String user = doc.path("metadata").path("name").asText();
        JsonNode spec = doc.path("spec");
        if (!"scram-sha-512".equals(spec.path("authentication").path("type").asText())) {
          throw new IllegalArgumentException(user + ": authentication must be scram-sha-512");
        }
        if (!"simple".equals(spec.path("authorization").path("type").asText())) {
          throw new IllegalArgumentException(user + ": authorization must be simple");
        }
        List<AclBinding> acls = new ArrayList<>();
        for (JsonNode acl : spec.path("authorization").path("acls")) {
          JsonNode r = acl.path("resource");
          ResourcePattern pattern = new ResourcePattern(resourceType(user, r.path("type").asText()),
              r.path("type").asText().equals("cluster") ? "kafka-cluster" : r.path("name").asText(),
              patternType(user, r.path("patternType").asText("literal")));
          String host = acl.path("host").asText("*");
          for (JsonNode op : acl.path("operations")) {
            acls.add(new AclBinding(pattern, new AccessControlEntry("User:" + user, host, operation(user, op.asText()),
                "deny".equalsIgnoreCase(acl.path("type").asText("allow")) ? AclPermissionType.DENY
                    : AclPermissionType.ALLOW)));
          }
        }
        out.put(user, acls);
      }
    }
    return out;
  }

  private static ResourceType resourceType(String user, String strimzi) {
    return switch (strimzi) {
      case "topic" -> ResourceType.TOPIC;
      case "group" -> ResourceType.GROUP;
      case "cluster" -> ResourceType.CLUSTER;
      case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
      default -> throw new IllegalArgumentException(user + ": resource type '" + strimzi
          + "' is not one of topic, group, cluster, transactionalId");
    };
  }

  private static PatternType patternType(String user, String strimzi) {
    return switch (strimzi) {
      case "literal" -> PatternType.LITERAL;
      case "prefix" -> PatternType.PREFIXED;
      default -> throw new IllegalArgumentException(user + ": patternType '" + strimzi + "' is not literal or prefix");
    };
  }

  /** Strimzi spells operations in CamelCase (DescribeConfigs), Kafka in upper snake case (DESCRIBE_CONFIGS). */
  private static AclOperation operation(String user, String strimzi) {
    String snake = strimzi.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    AclOperation op = AclOperation.fromString(snake);
    if (op == AclOperation.UNKNOWN || op == AclOperation.ANY) {
      throw new IllegalArgumentException(user + ": operation '" + strimzi + "' is not a Kafka ACL operation");
    }
    return op;
  }
}
