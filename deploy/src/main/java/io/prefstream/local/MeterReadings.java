package io.prefstream.local;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Reads the services' own Micrometer meters for the status board and the run summary, so what local mode reports is
 * exactly what {@code /metrics} exports.
 */
public final class MeterReadings {
  private final MeterRegistry registry;

  public MeterReadings(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The sum of every counter named {@code name}, over all tag values; 0 when none is registered yet. */
  public double counterSum(String name) {
    double sum = 0;
    for (Meter m : registry.find(name).meters()) {
      if (m instanceof Counter c) {
        sum += c.count();
      } else if (m instanceof FunctionCounter fc) {
        sum += fc.count();
      }
    }
    return sum;
  }

  /** The gauge named {@code name} with no tag filter (the first one found), or NaN when none is registered. */
  public double gauge(String name, String... tags) {
    Gauge g = registry.find(name).tags(tags).gauge();
    return g == null ? Double.NaN : g.value();
  }
}
