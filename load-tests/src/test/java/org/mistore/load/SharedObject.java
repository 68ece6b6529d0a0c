package org.mistore.load;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.pause;

import io.gatling.javaapi.core.ChainBuilder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One object shared by many virtual users of a simulation: the first user to get here creates
 * it, the others wait (at most 30 s) for its id. Each simulation makes its own instance.
 */
public final class SharedObject {
  private final AtomicBoolean claimed = new AtomicBoolean();
  private final AtomicReference<String> id = new AtomicReference<>();

  /** Sets session attribute {@code id} to the shared object (creating it once); a user that cannot get it stops. */
  public ChainBuilder obtain(Api api, String requestName, byte[] body) {
    long deadlineNanos = 30_000_000_000L;
    return exec(session -> session.set("creator", claimed.compareAndSet(false, true)).set("waitFrom", System.nanoTime()))
        .doIfOrElse(session -> session.getBoolean("creator"))
        .then(exec(api.create(requestName, ByteArrayBody(body)))
            .exec(session -> {
              if (session.contains("id")) {
                id.set(session.getString("id"));
              }
              return session;
            }))
        .orElse(asLongAs(session -> id.get() == null && System.nanoTime() - session.getLong("waitFrom") < deadlineNanos)
            .on(pause(Duration.ofMillis(20)))
            .exec(session -> id.get() == null ? session : session.set("id", id.get())))
        .exitHereIf(session -> !session.contains("id"));
  }
}
