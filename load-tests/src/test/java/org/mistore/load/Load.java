package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Injection profile, run bound and assertions, the same for every simulation. */
public final class Load {
  private Load() {}

  /** {@code users} users, started over {@code mistore.ramp} seconds (all at once when 0). */
  public static PopulationBuilder users(ScenarioBuilder scenario, Settings s, int users) {
    return scenario.injectOpen(s.rampSeconds == 0 ? atOnceUsers(users) : rampUsers(users).during(s.rampSeconds));
  }

  /** Stops a run that overstays its ramp + duration by a minute (a hung server fails the run, never hangs it). */
  public static Duration maxDuration(Settings s) {
    return Duration.ofSeconds(s.rampSeconds + s.durationSeconds + 60L);
  }

  /**
   * The pass/fail criteria: p99 of all requests, share of failed requests, optional mean
   * throughput, and at least one successful request (a run that did nothing is not a pass).
   */
  public static Assertion[] assertions(Settings s) {
    List<Assertion> list = new ArrayList<>();
    list.add(global().responseTime().percentile(99.0).lte(s.p99Ms));
    list.add(global().failedRequests().percent().lte(s.maxErrorPercent));
    list.add(global().successfulRequests().count().gt(0L));
    if (s.minRps > 0) {
      list.add(global().requestsPerSec().gte(s.minRps));
    }
    return list.toArray(Assertion[]::new);
  }
}
