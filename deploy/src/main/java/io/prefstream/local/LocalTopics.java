package io.prefstream.local;

import io.prefstream.protocol.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/** The topics of a single-broker local deployment: same layout as the cluster manifests, replication factor 1. */
public final class LocalTopics {
  /** The demo's domains; every simulated user has a hidden style in each. */
  static final List<String> DEMO_DOMAINS = List.of("assistant", "writing");

  private LocalTopics() {}

  public static List<NewTopic> all(Topics topics, int partitions) {
    Map<String, String> compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    List<NewTopic> list = new ArrayList<>();
    for (String name : topics.all()) {
      NewTopic t = new NewTopic(name, partitions, (short) 1);
      if (name.equals(topics.models())) {
        t.configs(compacted);
      }
      list.add(t);
    }
    list.add(new NewTopic(topics.prefix() + "learner-state", partitions, (short) 1).configs(compacted));
    return list;
  }
}
