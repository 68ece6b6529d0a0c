package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.regex;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.http.WsFrameCheck;
import java.time.Duration;
import java.util.Base64;

/**
 * The WebSocket API ({@code /v1/ws}) as Gatling actions. Each request carries a fresh {@code rid}
 * (session attribute {@code rid}) and waits for the reply that echoes it; a reply that does not
 * come within {@code mistore.ws.timeoutMs} fails the request.
 */
public final class WsApi {
  private final Settings settings;
  private final Duration timeout;

  public WsApi(Settings settings) {
    this.settings = settings;
    this.timeout = Duration.ofMillis(settings.wsTimeoutMs);
  }

  /** Opens the user's socket (on its gateway when gateways are configured). */
  public ChainBuilder connect() {
    String path = settings.gateways.isEmpty() ? "/v1/ws" : "/v1/ws?gateway=#{gw}";
    return exec(session -> session.set("rid", 0)).exec(ws("ws connect").connect(path));
  }

  public ChainBuilder close() {
    return exec(ws("ws close").close());
  }

  /** {@code create} with {@code data}: 201, saves {@code id} and {@code version}. */
  public ChainBuilder create(String name, byte[] data) {
    String b64 = Base64.getEncoder().encodeToString(data);
    return exec(nextRid()).exec(ws(name)
        .sendText("{\"rid\":#{rid},\"op\":\"create\",\"data\":\"" + b64 + "\"}")
        .await(timeout).on(reply(name).check(jsonPath("$.status").is("201"), jsonPath("$.id").saveAs("id"),
            jsonPath("$.version").ofInt().saveAs("version"))));
  }

  /** {@code watch} of the user's object: 200. */
  public ChainBuilder watch(String name) {
    return exec(nextRid()).exec(ws(name)
        .sendText("{\"rid\":#{rid},\"op\":\"watch\",\"id\":\"#{id}\"}")
        .await(timeout).on(reply(name).check(jsonPath("$.status").is("200"))));
  }

  /**
   * {@code put} on a watched object: waits for both the reply (200) and the pushed
   * {@code version} event, in whichever order they come, each naming the next version. The
   * measured time is write + notification.
   */
  public ChainBuilder putWatched(String name, byte[] data) {
    String b64 = Base64.getEncoder().encodeToString(data);
    return exec(nextRid())
        .exec(session -> session.set("next", session.getInt("version") + 1))
        .exec(ws(name)
            .sendText("{\"rid\":#{rid},\"op\":\"put\",\"id\":\"#{id}\",\"data\":\"" + b64 + "\"}")
            .await(timeout).on(replyOrEvent(name + " reply or event"), replyOrEvent(name + " event or reply")))
        .exec(session -> session.set("version", session.getInt("next")));
  }

  /** {@code get} with a consistency: 200 with the user's last version (monotonic: at least it). */
  public ChainBuilder get(String name, String consistency) {
    boolean monotonic = consistency.equals("monotonic");
    String extra = monotonic ? ",\"minVersion\":#{version}" : "";
    var version = monotonic ? jsonPath("$.version").ofInt().gte(session -> session.getInt("version"))
        : jsonPath("$.version").isEL("#{version}");
    return exec(nextRid()).exec(ws(name)
        .sendText("{\"rid\":#{rid},\"op\":\"get\",\"id\":\"#{id}\",\"consistency\":\"" + consistency + "\"" + extra + "}")
        .await(timeout).on(reply(name).check(jsonPath("$.status").is("200"), version, jsonPath("$.data").exists())));
  }

  /** {@code get} of exactly the user's last version. */
  public ChainBuilder getVersion(String name) {
    return exec(nextRid()).exec(ws(name)
        .sendText("{\"rid\":#{rid},\"op\":\"get\",\"id\":\"#{id}\",\"version\":#{version}}")
        .await(timeout).on(reply(name).check(jsonPath("$.status").is("200"), jsonPath("$.version").isEL("#{version}"))));
  }

  private static WsFrameCheck.Text reply(String name) {
    return ws.checkTextMessage(name + " reply").matching(jsonPath("$.rid").isEL("#{rid}"));
  }

  /** Matches this request's reply or a version event; either must name version {@code next}. */
  private static WsFrameCheck.Text replyOrEvent(String name) {
    return ws.checkTextMessage(name)
        .matching(regex(session -> "\"rid\":" + session.getInt("rid") + "[,}]|\"event\":\"version\"").exists())
        .check(regex("\"status\":200[,}]|\"event\":\"version\"").exists(), jsonPath("$.version").isEL("#{next}"));
  }

  private static ChainBuilder nextRid() {
    return exec(session -> session.set("rid", session.getInt("rid") + 1));
  }
}
