package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

/**
 * WebSocket sessions: each user opens one socket, creates an object over it and watches it, then
 * loops: a put (timed until both its reply and the pushed version event arrived), a monotonic
 * get, an atomic get and an exact-version get.
 */
public class WebSocketSimulation extends Simulation {
  private final Settings settings = Settings.load(new Settings.Defaults(16, 60, 5, 1000));
  private final Api api = new Api(settings);
  private final WsApi wsApi = new WsApi(settings);

  {
    byte[] body = Payloads.bytes(settings.smallBytes, 17);
    ScenarioBuilder sockets = scenario("websocket sessions")
        .exec(api.pickGateway())
        .exec(wsApi.connect())
        .exec(wsApi.create("ws create", body))
        .exec(wsApi.watch("ws watch"))
        .exitHereIfFailed() // no connection or object to work on: the failure is told once, not at every step
        .during(settings.durationSeconds).on(
            exec(wsApi.putWatched("ws put+event", body))
                .exec(wsApi.get("ws get monotonic", "monotonic"))
                .exec(wsApi.get("ws get atomic", "atomic"))
                .exec(wsApi.getVersion("ws get version")))
        .exec(wsApi.close());

    setUp(Load.users(sockets, settings, settings.users))
        .protocols(api.protocol())
        .maxDuration(Load.maxDuration(settings))
        .assertions(Load.assertions(settings));
  }
}
