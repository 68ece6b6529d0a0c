package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

/**
 * Small objects: each user creates its own object ({@code mistore.small.bytes}), then loops one
 * PUT followed by {@code mistore.small.readsPerWrite} rounds of the four read kinds (atomic,
 * monotonic, rw-exclusive, exact version). Reads check the version they return against the
 * user's last write, so a stale read fails the run.
 */
public class SmallObjectsSimulation extends Simulation {
  private final Settings settings = Settings.load(new Settings.Defaults(16, 60, 5, 1000));
  private final Api api = new Api(settings);

  /** One write, then every read kind {@code readsPerWrite} times. */
  static ChainBuilder writeThenRead(Api api, Settings s, byte[] body) {
    return exec(api.put("small put", ByteArrayBody(body)))
        .repeat(s.readsPerWrite).on(
            exec(api.readAtomic("small get atomic"))
                .exec(api.readMonotonic("small get monotonic"))
                .exec(api.readExclusive("small get rw-exclusive"))
                .exec(api.readVersion("small get version")));
  }

  {
    byte[] body = Payloads.bytes(settings.smallBytes, 7);
    ScenarioBuilder small = scenario("small objects")
        .exec(api.pickGateway())
        .exec(api.create("small create", ByteArrayBody(body)))
        .exitHereIfFailed() // no object to work on: the failure is told once, not at every step
        .during(settings.durationSeconds).on(writeThenRead(api, settings, body));

    setUp(Load.users(small, settings, settings.users))
        .protocols(api.protocol())
        .maxDuration(Load.maxDuration(settings))
        .assertions(Load.assertions(settings));
  }
}
