package io.prefstream.runtime.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
  @Test
  void healthIs200WhenUpOrDegradedAnd503WhenDown() throws Exception {
    AtomicReference<MetricsEndpoint.Health> health = new AtomicReference<>(MetricsEndpoint.Health.up("fine"));
    try (MetricsEndpoint endpoint = new MetricsEndpoint("localhost", 0, MetricsEndpoint.newRegistry(), health::get)) {
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://localhost:" + endpoint.port() + "/health")).build();

      HttpResponse<String> up = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertThat(up.statusCode()).isEqualTo(200);
      assertThat(up.body()).contains("\"status\":\"UP\"");

      health.set(MetricsEndpoint.Health.degraded("broker unreachable since 12:00"));
      HttpResponse<String> degraded = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertThat(degraded.statusCode()).isEqualTo(200);
      assertThat(degraded.body()).contains("\"status\":\"DEGRADED\"").contains("broker unreachable");

      health.set(new MetricsEndpoint.Health(false, "gone"));
      HttpResponse<String> down = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body()).contains("\"status\":\"DOWN\"");
    }
  }

  @Test
  void onlyDownIsNotUp() {
    assertThat(MetricsEndpoint.Health.up("x").up()).isTrue();
    assertThat(MetricsEndpoint.Health.degraded("x").up()).isTrue();
    assertThat(MetricsEndpoint.Health.degraded("x").degraded()).isTrue();
    assertThat(MetricsEndpoint.Health.down("x").up()).isFalse();
  }
}
