package io.prefstream.local.demo;

import io.prefstream.protocol.event.PreferenceEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Users with a hidden taste: for each (user, domain), one of the four DSP styles, drawn at random from a seed. Each
 * event is a training query answered in the user's style, preferred over the same query answered in another style.
 */
public final class SimulatedUsers {
  private final List<String> users;
  private final List<String> domains;
  private final Map<String, String> tastes = new TreeMap<>();
  private final DspQueries queries;
  private final Random random;
  private final String runId;
  private long sequence;

  public SimulatedUsers(int userCount, List<String> domains, DspQueries queries, long seed, String runId) {
    if (userCount < 1) {
      throw new IllegalArgumentException("user count " + userCount + " must be at least 1");
    }
    if (domains.isEmpty()) {
      throw new IllegalArgumentException("at least one demo domain is needed");
    }
    this.domains = List.copyOf(domains);
    this.queries = queries;
    this.random = new Random(seed);
    this.runId = runId;
    List<String> u = new ArrayList<>();
    Random tasteDraw = new Random(seed ^ 0x5DEECE66DL);
    for (int i = 1; i <= userCount; i++) {
      String user = String.format("demo-user-%04d", i);
      u.add(user);
      for (String d : domains) {
        tastes.put(user + "/" + d, DspQueries.STYLES.get(tasteDraw.nextInt(DspQueries.STYLES.size())));
      }
    }
    this.users = List.copyOf(u);
  }

  public List<String> users() {
    return users;
  }

  public List<String> domains() {
    return domains;
  }

  /** The hidden style of (user, domain). */
  public String taste(String user, String domain) {
    String t = tastes.get(user + "/" + domain);
    if (t == null) {
      throw new IllegalArgumentException("no simulated user (" + user + ", " + domain + ")");
    }
    return t;
  }

  /** The next event of a randomly chosen user and domain. Not thread-safe. */
  public PreferenceEvent nextEvent(long nowMs) {
    String user = users.get(random.nextInt(users.size()));
    String domain = domains.get(random.nextInt(domains.size()));
    String style = taste(user, domain);
    DspQueries.Query q = queries.training().get(random.nextInt(queries.training().size()));
    List<String> others = new ArrayList<>(q.responses().keySet());
    others.remove(style);
    String rejected = q.responses().get(others.get(random.nextInt(others.size())));
    String eventId = runId + "-" + (sequence++);
    return PreferenceEvent.of(eventId, user, domain, q.prompt(), q.responses().get(style), rejected, 1.0, nowMs);
  }
}
