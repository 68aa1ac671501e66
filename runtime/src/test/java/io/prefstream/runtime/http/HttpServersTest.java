package io.prefstream.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HttpServersTest {
  @Test
  void serversAreCreatedWithNagleOffUnlessTheOperatorChoseOtherwise() throws Exception {
    String before = System.getProperty(HttpServers.NODELAY_PROPERTY);
    HttpServer server = HttpServers.create(new InetSocketAddress("localhost", 0), 8);
    try {
      assertThat(server.getAddress().getPort()).isPositive();
      assertThat(System.getProperty(HttpServers.NODELAY_PROPERTY))
          .isEqualTo(before == null ? "true" : before);
    } finally {
      server.stop(0);
    }
  }
}
