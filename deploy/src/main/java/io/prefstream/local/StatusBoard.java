package io.prefstream.local;

import java.io.PrintStream;
import java.util.List;

/**
 * The live view of local mode: a small table redrawn in place on a terminal. When output is not a terminal it stays
 * quiet, so logs and scripted runs are not flooded.
 */
public final class StatusBoard {
  private final PrintStream out;
  private final boolean interactive;
  private int linesDrawn;

  public StatusBoard(PrintStream out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
  }

  public static StatusBoard forConsole() {
    return new StatusBoard(System.out, System.console() != null && !"dumb".equals(System.getenv("TERM")));
  }

  public boolean interactive() {
    return interactive;
  }

  /** Replaces the previously drawn lines with {@code lines}. */
  public synchronized void draw(List<String> lines) {
    if (!interactive) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    if (linesDrawn > 0) {
      sb.append("\u001b[").append(linesDrawn).append('F'); // cursor up to the first line drawn
    }
    for (String line : lines) {
      sb.append("\u001b[2K").append(line).append('\n');
    }
    out.print(sb);
    out.flush();
    linesDrawn = lines.size();
  }

  /** A line that stays (printed above the board on a terminal, and always when not interactive). */
  public synchronized void println(String line) {
    if (interactive && linesDrawn > 0) {
      out.print("\u001b[" + linesDrawn + "F\u001b[J");
      linesDrawn = 0;
    }
    out.println(line);
    out.flush();
  }
}
