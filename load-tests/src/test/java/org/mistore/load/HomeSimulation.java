package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.time.Duration;
import java.util.List;

/**
 * A household of apps, {@code mistore.users} homes at once, each home running four apps with
 * think time ({@code mistore.home.pauseMs}) between steps:
 * <ul>
 *   <li>sensor: a thermostat writing a 64-byte reading and reading it back monotonically;
 *   <li>photos: uploading a new photo ({@code mistore.home.photoBytes}) and viewing it by version;
 *   <li>documents: a locked edit of a document shared by every home (write lock with a wait,
 *       atomic read, write under the lock, release);
 *   <li>dashboard: a WebSocket that watches its object and reads it after each update.
 * </ul>
 */
public class HomeSimulation extends Simulation {
  private final Settings settings = Settings.load(new Settings.Defaults(4, 60, 5, 3000));
  private final Api api = new Api(settings);
  private final WsApi wsApi = new WsApi(settings);
  private final SharedObject document = new SharedObject();

  private ChainBuilder think() {
    return pause(Duration.ofMillis(settings.homePauseMs));
  }

  {
    byte[] reading = Payloads.bytes(64, 19);
    byte[] photo = Payloads.bytes(settings.homePhotoBytes, 23);
    byte[] doc = Payloads.bytes(8192, 29);
    byte[] status = Payloads.bytes(512, 31);

    ScenarioBuilder sensor = scenario("home sensor")
        .exec(api.pickGateway())
        .exec(api.create("home sensor create", ByteArrayBody(reading)))
        .exitHereIfFailed() // no object to work on: the failure is told once, not at every step
        .during(settings.durationSeconds).on(
            exec(api.put("home sensor put", ByteArrayBody(reading)))
                .exec(think())
                .exec(api.readMonotonic("home sensor get monotonic"))
                .exec(think()));

    ScenarioBuilder photos = scenario("home photos")
        .exec(api.pickGateway())
        .during(settings.durationSeconds).on(
            exec(api.create("home photo upload", ByteArrayBody(photo)))
                .exec(think())
                .exec(api.readVersion("home photo view"))
                .exec(think()));

    // A grant may wait up to 2 s behind other homes' edits; a 423 after that is a correct answer.
    ScenarioBuilder documents = scenario("home documents")
        .exec(api.pickGateway())
        .exec(document.obtain(api, "home document create", doc))
        .during(settings.durationSeconds).on(
            exec(session -> session.remove("token"))
                .exec(api.lock("home document lock", "write", 2000, 201, 423))
                .doIf(session -> session.contains("token")).then(
                    exec(api.viaGateway(http("home document read").get("/v1/objects/#{id}").check(status().is(200))))
                        .exec(api.putLocked("home document save", ByteArrayBody(doc)))
                        .exec(api.unlock("home document unlock")))
                .exec(think()));

    ScenarioBuilder dashboard = scenario("home dashboard")
        .exec(api.pickGateway())
        .exec(wsApi.connect())
        .exec(wsApi.create("home dashboard create", status))
        .exec(wsApi.watch("home dashboard watch"))
        .exitHereIfFailed()
        .during(settings.durationSeconds).on(
            exec(wsApi.putWatched("home dashboard put+event", status))
                .exec(wsApi.get("home dashboard get monotonic", "monotonic"))
                .exec(think()))
        .exec(wsApi.close());

    setUp(List.of(sensor, photos, documents, dashboard).stream()
            .map(app -> Load.users(app, settings, settings.users)).toList())
        .protocols(api.protocol())
        .maxDuration(Load.maxDuration(settings))
        .assertions(Load.assertions(settings));
  }
}
