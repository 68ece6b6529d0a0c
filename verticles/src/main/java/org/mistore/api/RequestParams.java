package org.mistore.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.mistore.codecs.ObjectId;

/** Parsing of path, query and header values; every bad value is a 400 naming it. */
final class RequestParams {
  private RequestParams() {
  }

  static ObjectId objectId(RoutingContext rc) {
    String raw = rc.pathParam("id");
    try {
      return ObjectId.parse(raw);
    } catch (IllegalArgumentException e) {
      throw HttpProblem.badRequest("malformed object id: " + e.getMessage());
    }
  }

  /**
   * A single query parameter, or null; repeated parameters are refused. Names match exactly:
   * {@code Version=1} is not {@code version} but an unknown parameter, which is ignored (the query
   * map Vert.x Web builds matches names ignoring case).
   */
  static String query(RoutingContext rc, String name) {
    List<String> values = new java.util.ArrayList<>(1);
    for (java.util.Map.Entry<String, String> e : rc.queryParams()) {
      if (e.getKey().equals(name)) {
        values.add(e.getValue());
      }
    }
    if (values.size() > 1) {
      throw HttpProblem.badRequest("query parameter " + name + " given more than once");
    }
    return values.isEmpty() ? null : values.get(0);
  }

  /** A header that may appear once, or null; given more than once it is refused, as a repeated query parameter is. */
  static String header(RoutingContext rc, String name) {
    List<String> values = rc.request().headers().getAll(name);
    if (values.size() > 1) {
      throw HttpProblem.badRequest("header " + name + " given more than once");
    }
    return values.isEmpty() ? null : values.get(0);
  }

  /**
   * The number written in decimal digits alone (surrounding blanks aside), or null: no sign, no
   * other characters, nothing beyond a long ({@code +1} names no version, unlike Long.parseLong's reading).
   */
  private static Long digits(String value) {
    String v = value.trim();
    if (v.isEmpty() || v.length() > 19 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return null; // past what a long holds
    }
  }

  /** A positive whole number, or {@code absent} when the value is null. */
  static long positive(String what, String value, long absent) {
    if (value == null) {
      return absent;
    }
    Long v = digits(value);
    if (v != null && v >= 1) {
      return v;
    }
    throw HttpProblem.badRequest(what + " must be a positive whole number, got '" + value + "'");
  }

  /** A whole number in [min, max], or {@code absent} when the value is null. */
  static long bounded(String what, String value, long min, long max, long absent) {
    if (value == null) {
      return absent;
    }
    Long v = digits(value);
    if (v != null && v >= min && v <= max) {
      return v;
    }
    throw HttpProblem.badRequest(what + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
  }

  /** A whole number in [min, max] from a JSON field, or {@code absent} when the field is missing. */
  static long jsonNumber(JsonObject body, String key, long min, long max, long absent) {
    Object v = body.getValue(key);
    if (v == null) {
      return absent;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw HttpProblem.badRequest(key + " must be a whole number");
    }
    // A number past what a long holds is refused as itself, not wrapped around into range.
    String text = n instanceof java.math.BigInteger || n instanceof java.math.BigDecimal ? n.toString()
        : n instanceof Double || n instanceof Float ? new java.math.BigDecimal(n.doubleValue()).toBigInteger().toString()
        : Long.toString(n.longValue());
    return bounded(key, text, min, max, absent);
  }

  /** {@code If-Match: "<id>.<N>"} or {@code N}; null when absent. 412 when it names another object. */
  static Long ifMatch(RoutingContext rc, ObjectId id) {
    // Repeated headers are one comma-separated list (RFC 9110).
    java.util.List<String> all = rc.request().headers().getAll("If-Match");
    return ifMatch(all.isEmpty() ? null : String.join(",", all), id);
  }

  /** An If-Match value ({@code "<id>.<N>"} or {@code N}) from any transport; null when absent. */
  static Long ifMatch(String raw, ObjectId id) {
    if (raw == null) {
      return null;
    }
    if (raw.trim().equals("*")) {
      return ANY_LIVE_VERSION; // any current version, but one there is: not a deletion (RFC 9110 13.1.1)
    }
    // A list of entity tags matches when one does; a weak tag never does (If-Match compares strongly).
    Long version = null;
    boolean otherObject = false;
    boolean weak = false;
    for (String part : raw.split(",")) {
      String v = part.trim();
      if (v.startsWith("W/")) {
        weak = true;
        continue;
      }
      if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) {
        v = v.substring(1, v.length() - 1);
        int dot = v.lastIndexOf('.');
        if (dot <= 0) {
          throw HttpProblem.badRequest("If-Match must be \"<id>.<version>\" or a version number");
        }
        if (!v.substring(0, dot).equals(id.render())) {
          otherObject = true;
          continue;
        }
        v = v.substring(dot + 1);
        if (v.length() > 1 && v.startsWith("0")) {
          // Entity tags compare character by character: no ETag given out is spelt this way.
          otherObject = true;
          continue;
        }
      }
      long named = positive("If-Match version", v, 0);
      if (version != null && version != named) {
        throw HttpProblem.badRequest("If-Match names more than one version of this object");
      }
      version = named;
    }
    if (version == null) {
      throw new HttpProblem(412, "Precondition Failed", otherObject ? "If-Match names no entity tag of this object"
          : weak ? "If-Match names only weak entity tags, which never match" : "If-Match names no version");
    }
    return version;
  }

  /** What {@code If-Match: *} stands for: the object has a current version that is not a deletion. */
  static final long ANY_LIVE_VERSION = 0;

  static String etag(ObjectId id, long version) {
    return "\"" + id.render() + "." + version + "\"";
  }

  /** Longest accepted {@code Mistore-Request-Id}. */
  static final int MAX_REQUEST_ID = 128;

  /** A client's request id (1-128 visible ASCII characters), null when absent; 400 when malformed. */
  static String requestId(String raw) {
    if (raw == null) {
      return null;
    }
    if (raw.isEmpty() || raw.length() > MAX_REQUEST_ID || !raw.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw HttpProblem.badRequest("Mistore-Request-Id must be 1-" + MAX_REQUEST_ID
          + " visible ASCII characters without spaces");
    }
    return raw;
  }
}
