package io.prefstream.local;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LibraryLogsTest {
  @Test
  void libraryLinesGoToTheFileOnlyAndOwnLinesToBoth(@TempDir Path dir) throws IOException {
    ListAppender<ILoggingEvent> terminal = attachTerminal();
    Logger broker = LoggerFactory.getLogger("kafka.server.ReplicaManager");
    Logger client = LoggerFactory.getLogger("org.apache.kafka.clients.producer.internals.Sender");
    Logger own = LoggerFactory.getLogger("io.prefstream.local.SomeService");
    Logger lookalike = LoggerFactory.getLogger("io.prefstreamer.Other");
    Path file = dir.resolve("logs/local.log");
    try {
      LibraryLogs logs = LibraryLogs.redirect(file, Level.INFO);
      assertThat(logs).isNotNull();
      assertThat(logs.file()).isEqualTo(file);
      try {
        broker.error("broker-error-1");
        client.warn("client-warn-2");
        lookalike.warn("lookalike-warn-3");
        own.info("own-info-4");
        own.warn("own-warn-5");
      } finally {
        logs.close();
      }
      broker.error("after-close-6");

      assertThat(terminal.list).extracting(ILoggingEvent::getMessage)
          .containsExactly("own-info-4", "own-warn-5", "after-close-6");
      String written = Files.readString(file);
      assertThat(written).contains("broker-error-1", "client-warn-2", "lookalike-warn-3", "own-info-4", "own-warn-5")
          .contains("kafka.server.ReplicaManager").doesNotContain("after-close-6");
    } finally {
      root().detachAppender(terminal);
    }
  }

  @Test
  void aTerminalLevelOfWarnKeepsOwnInfoLinesInTheFileOnly(@TempDir Path dir) throws IOException {
    ListAppender<ILoggingEvent> terminal = attachTerminal();
    Logger own = LoggerFactory.getLogger("io.prefstream.local.SomeService");
    Path file = dir.resolve("local.log");
    try (LibraryLogs logs = LibraryLogs.redirect(file, Level.WARN)) {
      assertThat(logs.file()).isEqualTo(file);
      own.info("own-info-1");
      own.warn("own-warn-2");
    } finally {
      root().detachAppender(terminal);
    }
    assertThat(terminal.list).extracting(ILoggingEvent::getMessage).containsExactly("own-warn-2");
    assertThat(Files.readString(file)).contains("own-info-1", "own-warn-2");
  }

  /** A stand-in for the terminal: an appender on the root logger, as the console appender of logback.xml is. */
  private static ListAppender<ILoggingEvent> attachTerminal() {
    ListAppender<ILoggingEvent> terminal = new ListAppender<>();
    terminal.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
    terminal.start();
    root().addAppender(terminal);
    return terminal;
  }

  private static ch.qos.logback.classic.Logger root() {
    return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
  }
}
