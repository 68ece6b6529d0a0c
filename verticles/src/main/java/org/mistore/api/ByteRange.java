package org.mistore.api;

/**
 * One {@code Range: bytes=a-b | a- | -n} request. As RFC 9110 allows, a header that is not one
 * well-formed bytes range (another unit, several ranges, a malformed spec) is ignored: the whole
 * content is served.
 */
record ByteRange(long start, long end, long suffix) {

  /** Null when there is no header or it is ignored (see above). */
  static ByteRange parseHeader(String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.contains(",")) {
      return null;
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0 || !digits(spec.substring(0, dash)) || !digits(spec.substring(dash + 1))
        || dash == 0 && dash == spec.length() - 1) {
      return null;
    }
    if (dash == 0) {
      return new ByteRange(-1, -1, number(spec.substring(1))); // -0: unsatisfiable
    }
    long a = number(spec.substring(0, dash));
    long b = dash == spec.length() - 1 ? Long.MAX_VALUE : number(spec.substring(dash + 1));
    return b < a ? null : new ByteRange(a, b, -1);
  }

  /** A run of digits; one past {@code Long.MAX_VALUE} counts as that (no content is that long). */
  private static long number(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private static boolean digits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  boolean satisfiable(long size) {
    return suffix >= 0 ? suffix > 0 && size > 0 : start < size;
  }

  long first(long size) {
    return suffix >= 0 ? Math.max(0, size - suffix) : start;
  }

  long last(long size) {
    return suffix >= 0 ? size - 1 : Math.min(end, size - 1);
  }
}
