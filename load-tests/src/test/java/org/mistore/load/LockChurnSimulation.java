package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.util.ArrayList;
import java.util.List;

/**
 * Lock churn. {@code mistore.users} owners each loop on their own object: write lock, renew,
 * release, then a read lock and its release (no contention: every call must succeed).
 * {@code mistore.lock.contenders} more users all fight for the write lock of one shared object
 * with {@code waitMs=0}: a 423 is a correct answer for them, and a grant is released at once.
 */
public class LockChurnSimulation extends Simulation {
  private final Settings settings = Settings.load(new Settings.Defaults(8, 60, 5, 1000));
  private final Api api = new Api(settings);
  private final SharedObject shared = new SharedObject();

  /** Acquire (with the given ok statuses), and when granted release; the token never leaks to the next round. */
  static ChainBuilder lockAndRelease(Api api, String type, int waitMs, boolean renew, Integer... ok) {
    ChainBuilder granted = renew ? exec(api.renew("lock renew " + type)).exec(api.unlock("lock release " + type))
        : exec(api.unlock("lock release " + type));
    return exec(session -> session.remove("token"))
        .exec(api.lock("lock acquire " + type, type, waitMs, ok))
        .doIf(session -> session.contains("token")).then(granted);
  }

  {
    byte[] body = Payloads.bytes(256, 13);
    ScenarioBuilder owners = scenario("lock owners")
        .exec(api.pickGateway())
        .exec(api.create("lock create", ByteArrayBody(body)))
        .exitHereIfFailed() // no object to work on: the failure is told once, not at every step
        .during(settings.durationSeconds).on(
            exec(lockAndRelease(api, "write", 0, true))
                .exec(lockAndRelease(api, "read", 0, false)));

    List<PopulationBuilder> populations = new ArrayList<>();
    populations.add(Load.users(owners, settings, settings.users));
    if (settings.lockContenders > 0) {
      // The first contender to arrive creates the shared object; the others wait for its id.
      ScenarioBuilder contenders = scenario("lock contenders")
          .exec(api.pickGateway())
          .exec(shared.obtain(api, "lock create shared", body))
          .during(settings.durationSeconds).on(lockAndRelease(api, "write", 0, false, 201, 423));
      populations.add(Load.users(contenders, settings, settings.lockContenders));
    }

    setUp(populations)
        .protocols(api.protocol())
        .maxDuration(Load.maxDuration(settings))
        .assertions(Load.assertions(settings));
  }
}
