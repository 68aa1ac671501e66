package io.prefstream.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * In local mode, the log lines of the libraries (the in-process Kafka broker, the Kafka clients and Streams, DJL) go to
 * a file in the data folder, and the terminal keeps prefstream's own. Why: one process runs a broker and three
 * services, so the terminal would otherwise mix the live status board with the broker's and clients' lines — on a
 * fresh broker about a hundred of them in the first seconds (the producer retrying after {@code
 * CONCURRENT_TRANSACTIONS}, and the broker logging each rejected retry as an {@code OutOfOrderSequenceException}
 * while the client recovers) — which scrambles the board and reads as failure. The file keeps every line.
 *
 * <p>Works on the logback configuration the launcher ships ({@code logback.xml}); with another SLF4J backend it
 * leaves logging as it is. {@link #close()} restores the terminal and closes the file.
 */
public final class LibraryLogs implements AutoCloseable {
  /** Loggers of prefstream itself, which stay on the terminal. */
  static final String OWN_PREFIX = "io.prefstream";

  private final LoggerContext context;
  private final Path file;
  private final FileAppender<ILoggingEvent> fileAppender;
  private final List<Appender<ILoggingEvent>> filtered;
  private final OwnLinesOnly filter;

  private LibraryLogs(LoggerContext context, Path file, FileAppender<ILoggingEvent> fileAppender,
      List<Appender<ILoggingEvent>> filtered, OwnLinesOnly filter) {
    this.context = context;
    this.file = file;
    this.fileAppender = fileAppender;
    this.filtered = filtered;
    this.filter = filter;
  }

  /**
   * Appends every log line to {@code file} and lets the root logger's other appenders (the terminal) print only
   * prefstream's own lines at {@code terminalLevel} or above.
   *
   * @return null when the SLF4J backend is not logback (nothing changed)
   */
  public static LibraryLogs redirect(Path file, Level terminalLevel) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return null;
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the folder of the log file " + file.toAbsolutePath() + ": " + e
          + " (choose a writable folder with --data-dir, or keep the logs on the terminal with --library-logs terminal)",
          e);
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    List<Appender<ILoggingEvent>> terminal = new ArrayList<>();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      terminal.add(it.next());
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName("prefstream-local-file");
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    OwnLinesOnly filter = new OwnLinesOnly(terminalLevel);
    filter.setContext(context);
    filter.start();
    for (Appender<ILoggingEvent> a : terminal) {
      a.addFilter(filter);
    }
    root.addAppender(appender);
    return new LibraryLogs(context, file, appender, terminal, filter);
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(fileAppender);
    fileAppender.stop();
    for (Appender<ILoggingEvent> a : filtered) {
      // logback has no removeFilter: keep the others, drop ours
      List<Filter<ILoggingEvent>> keep = new ArrayList<>(a.getCopyOfAttachedFiltersList());
      keep.remove(filter);
      a.clearAllFilters();
      keep.forEach(a::addFilter);
    }
    filter.stop();
  }

  /** Lets through prefstream's own lines at or above a level; everything else is for the file only. */
  static final class OwnLinesOnly extends Filter<ILoggingEvent> {
    private final Level threshold;

    OwnLinesOnly(Level threshold) {
      this.threshold = threshold;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
      boolean own = event.getLoggerName().equals(OWN_PREFIX) || event.getLoggerName().startsWith(OWN_PREFIX + ".");
      return own && event.getLevel().isGreaterOrEqual(threshold) ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
  }
}
