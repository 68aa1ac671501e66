package io.prefstream.deploy.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The KafkaUser manifests stay least-privilege by rule, whatever is added later: only the learner can write the
 * topic the scorer serves from, nobody gets {@code All}, cluster rights or a wildcard, and every topic an ACL names
 * is one the topic manifests create (a typo would otherwise only show as a denied request in production).
 */
class KafkaUsersManifestTest {

  @Test
  void onlyTheLearnerCanWriteModelsAndNoUserHasBroadRights() throws IOException {
    Map<String, List<AclBinding>> users = StrimziUserAcls.read(StrimziUserAcls.FILE);
    assertThat(users.keySet()).contains("prefstream-ingest", "prefstream-learner", "prefstream-scorer");
    Set<String> writersOfModels = new TreeSet<>();
    for (Map.Entry<String, List<AclBinding>> user : users.entrySet()) {
      assertThat(user.getValue()).as(user.getKey() + " has ACLs").isNotEmpty();
      for (AclBinding acl : user.getValue()) {
        String what = user.getKey() + ": " + acl;
        assertThat(acl.entry().permissionType()).as(what).isEqualTo(AclPermissionType.ALLOW);
        assertThat(acl.entry().operation()).as(what).isNotEqualTo(AclOperation.ALL);
        assertThat(acl.pattern().resourceType()).as(what).isNotEqualTo(ResourceType.CLUSTER);
        assertThat(acl.pattern().name()).as(what).isNotEqualTo("*").matches("prefstream[.-].+");
        assertThat(acl.entry().principal()).as(what).isEqualTo("User:" + user.getKey());
        if (acl.pattern().resourceType() == ResourceType.TOPIC && acl.entry().operation() == AclOperation.WRITE
            && covers(acl, "prefstream.models")) {
          writersOfModels.add(user.getKey());
        }
      }
    }
    assertThat(writersOfModels).as("principals that can write prefstream.models").containsExactly("prefstream-learner");
  }

  @Test
  void everyLiteralTopicInAnAclIsDeclaredInTheTopicManifests() throws IOException {
    Set<String> declared = new HashSet<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class)
        .readValues(StrimziUserAcls.DEPLOY.resolve("k8s/base/topics.yaml").toFile())) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && "KafkaTopic".equals(doc.path("kind").asText())) {
          declared.add(doc.path("metadata").path("name").asText());
        }
      }
    }
    for (Map.Entry<String, List<AclBinding>> user : StrimziUserAcls.read(StrimziUserAcls.FILE).entrySet()) {
      for (AclBinding acl : user.getValue()) {
        if (acl.pattern().resourceType() == ResourceType.TOPIC && acl.pattern().patternType() == PatternType.LITERAL) {
          assertThat(declared).as(user.getKey() + " names topic " + acl.pattern().name()).contains(acl.pattern().name());
        }
      }
    }
  }

  private static boolean covers(AclBinding acl, String topic) {
    return acl.pattern().patternType() == PatternType.PREFIXED ? topic.startsWith(acl.pattern().name())
        : acl.pattern().name().equals(topic);
  }
}
