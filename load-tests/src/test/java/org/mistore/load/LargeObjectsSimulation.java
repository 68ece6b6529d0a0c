package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.RawFileBody;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import java.nio.file.Path;

/**
 * Large objects, streamed both ways: each user uploads a file of {@code mistore.large.bytes}
 * (checking the SHA-256 the server reports), then loops a full download, a 1 MiB ranged read
 * (video seeking) and a new version's upload. Gatling streams the file from disk and discards
 * downloaded bytes, so neither side needs the object in memory.
 */
public class LargeObjectsSimulation extends Simulation {
  private final Settings settings = Settings.load(new Settings.Defaults(2, 60, 0, 60_000));
  private final Api api = new Api(settings);

  {
    Path file = Payloads.file(settings.largeBytes, 11);
    String sha256 = Payloads.sha256(file);
    String size = Long.toString(settings.largeBytes);
    long rangeEnd = Math.min(settings.largeBytes, 1L << 20) - 1;

    ScenarioBuilder large = scenario("large objects")
        .exec(api.pickGateway())
        .exec(api.create("large create", RawFileBody(file.toString()))
            .check(jsonPath("$.sha256").is(sha256), jsonPath("$.size").is(size)))
        .exitHereIfFailed() // no object to work on: the failure is told once, not at every step
        .during(settings.durationSeconds).on(
            exec(api.viaGateway(http("large get").get("/v1/objects/#{id}")
                .check(status().is(200), header("Content-Length").is(size), header("Mistore-Version").isEL("#{version}"))))
                .exec(api.viaGateway(http("large get range").get("/v1/objects/#{id}")
                    .header("Range", "bytes=0-" + rangeEnd)
                    .check(status().is(206), header("Content-Length").is(Long.toString(rangeEnd + 1)))))
                .exec(api.put("large put", RawFileBody(file.toString()))
                    .check(jsonPath("$.sha256").is(sha256))));

    setUp(Load.users(large, settings, settings.users))
        .protocols(api.protocol())
        .maxDuration(Load.maxDuration(settings))
        .assertions(Load.assertions(settings));
  }
}
