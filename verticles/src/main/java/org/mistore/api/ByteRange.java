package org.mistore.api;

/** One {@code Range: bytes=a-b | a- | -n} request; several ranges are refused (400). */
record ByteRange(long start, long end, long suffix) {

  /** Null when there is no header; 400 when it is malformed or asks several ranges. */
  static ByteRange parseHeader(String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    if (!h.startsWith("bytes=") || h.contains(",")) {
      throw HttpProblem.badRequest("Range must be a single bytes=a-b, bytes=a- or bytes=-n");
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    try {
      if (dash == 0) {
        long n = Long.parseLong(spec.substring(1));
        if (n <= 0) {
          throw new NumberFormatException();
        }
        return new ByteRange(-1, -1, n);
      }
      long a = Long.parseLong(spec.substring(0, dash));
      long b = dash == spec.length() - 1 ? Long.MAX_VALUE : Long.parseLong(spec.substring(dash + 1));
      if (a < 0 || b < a) {
        throw new NumberFormatException();
      }
      return new ByteRange(a, b, -1);
    } catch (RuntimeException e) {
      throw HttpProblem.badRequest("malformed Range '" + header + "'");
    }
  }

  boolean satisfiable(long size) {
    return suffix > 0 ? size > 0 : start < size;
  }

  long first(long size) {
    return suffix > 0 ? Math.max(0, size - suffix) : start;
  }

  long last(long size) {
    return suffix > 0 ? size - 1 : Math.min(end, size - 1);
  }
}
