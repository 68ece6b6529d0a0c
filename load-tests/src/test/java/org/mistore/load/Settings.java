package org.mistore.load;

import java.util.Arrays;
import java.util.List;

/**
 * Every knob of the simulations, read from system properties ({@code -Dmistore.KEY=VALUE} on the
 * Maven command line; the Gatling plugin hands them to the simulation's JVM). The table in
 * {@code load-tests/README.md} documents each key; keep the two in step.
 *
 * <p>With {@code mistore.smoke=true} the defaults shrink to a few seconds of tiny load (what CI
 * runs); a key given explicitly always wins.
 */
public final class Settings {
  /** Base URL of the gateway, for example {@code http://127.0.0.1:8080}. */
  public final String url;
  /** Tiny load for a few seconds, so the simulations are checked without being benchmarks. */
  public final boolean smoke;
  /** Concurrent virtual users (in the home simulation: homes). */
  public final int users;
  /** Seconds each user keeps looping after its setup. */
  public final int durationSeconds;
  /** Seconds over which the users start. */
  public final int rampSeconds;
  /** Gateways to spread users over with the {@code Mistore-Gateway} header (dev cluster); empty: none. */
  public final List<String> gateways;
  /** Size of a small object. */
  public final int smallBytes;
  /** Atomic, monotonic, rw-exclusive and exact-version reads, each done this many times per write. */
  public final int readsPerWrite;
  /** Size of a large object. */
  public final long largeBytes;
  /** Lease asked for by lock requests. */
  public final int lockTtlMs;
  /** Users that compete for one shared object's write lock in the lock simulation. */
  public final int lockContenders;
  /** Think time between two steps of a home app. */
  public final int homePauseMs;
  /** Size of a photo in the home simulation. */
  public final int homePhotoBytes;
  /** How long a WebSocket reply (or watch event) may take before the request fails. */
  public final int wsTimeoutMs;
  /** Assertion: 99th percentile of every request's response time, at most this (smoke: 10 s, a cold JVM on a busy box). */
  public final int p99Ms;
  /** Assertion: failed requests, at most this percentage of all. */
  public final double maxErrorPercent;
  /** Assertion: mean requests per second over the run, at least this (0: not asserted). */
  public final double minRps;

  private Settings(Defaults d) {
    url = trimSlash(text("url", "http://127.0.0.1:8080"));
    smoke = bool("smoke", false);
    users = positive("users", smoke ? 2 : d.users);
    durationSeconds = positive("duration", smoke ? 3 : d.durationSeconds);
    rampSeconds = atLeast("ramp", smoke ? 0 : d.rampSeconds, 0);
    String gw = text("gateways", "");
    gateways = gw.isBlank() ? List.of() : Arrays.stream(gw.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    smallBytes = positive("small.bytes", 4096);
    readsPerWrite = atLeast("small.readsPerWrite", 2, 0);
    largeBytes = positiveLong("large.bytes", smoke ? 2L << 20 : 64L << 20);
    lockTtlMs = positive("lock.ttlMs", 5000);
    lockContenders = atLeast("lock.contenders", users, 0);
    homePauseMs = atLeast("home.pauseMs", smoke ? 50 : 500, 0);
    homePhotoBytes = positive("home.photoBytes", smoke ? 64 << 10 : 1 << 20);
    wsTimeoutMs = positive("ws.timeoutMs", 10_000);
    p99Ms = positive("assert.p99Ms", smoke ? 10_000 : d.p99Ms);
    maxErrorPercent = number("assert.errorPercent", 1, 100);
    minRps = number("assert.minRps", 0, Double.MAX_VALUE);
  }

  /** Settings of one simulation: its own defaults for load and p99, the rest shared. */
  public static Settings load(Defaults defaults) {
    Settings s = new Settings(defaults);
    System.out.printf("mistore load: url=%s users=%d duration=%ds ramp=%ds smoke=%s gateways=%s p99<=%dms errors<=%.2f%% minRps=%.1f%n",
        s.url, s.users, s.durationSeconds, s.rampSeconds, s.smoke, s.gateways, s.p99Ms, s.maxErrorPercent, s.minRps);
    return s;
  }

  /** Per-simulation defaults (a property given on the command line overrides them). */
  public record Defaults(int users, int durationSeconds, int rampSeconds, int p99Ms) {}

  /** WebSocket base URL derived from {@link #url}. */
  public String wsUrl() {
    return url.replaceFirst("^http", "ws");
  }

  private static String text(String key, String def) {
    return System.getProperty("mistore." + key, def);
  }

  private static boolean bool(String key, boolean def) {
    String v = text(key, Boolean.toString(def)).trim();
    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
      throw new IllegalArgumentException("mistore." + key + " must be true or false, got '" + v + "'");
    }
    return Boolean.parseBoolean(v);
  }

  /** A number from 0 to {@code max}, or {@code def} when not given. */
  private static double number(String key, double def, double max) {
    String raw = text(key, Double.toString(def)).trim();
    double v;
    try {
      v = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("mistore." + key + " must be a number, got '" + raw + "'", e);
    }
    if (!(v >= 0 && v <= max)) {
      throw new IllegalArgumentException("mistore." + key + " must be from 0 to " + (max == Double.MAX_VALUE ? "any"
          : Double.toString(max)) + ", got " + raw);
    }
    return v;
  }

  private static int positive(String key, int def) {
    return atLeast(key, def, 1);
  }

  private static int atLeast(String key, int def, int min) {
    int v;
    try {
      v = Integer.parseInt(text(key, Integer.toString(def)).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("mistore." + key + " must be an integer", e);
    }
    if (v < min) {
      throw new IllegalArgumentException("mistore." + key + " must be at least " + min + ", got " + v);
    }
    return v;
  }

  private static long positiveLong(String key, long def) {
    long v;
    try {
      v = Long.parseLong(text(key, Long.toString(def)).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("mistore." + key + " must be an integer", e);
    }
    if (v < 1) {
      throw new IllegalArgumentException("mistore." + key + " must be at least 1, got " + v);
    }
    return v;
  }

  private static String trimSlash(String u) {
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }
}
