package org.mistore.codecs;

/** Node and region names: 1–40 characters of {@code A-Z a-z 0-9 _ -}, so they fit in URLs, addresses and object ids. */
public final class NodeIds {
  private NodeIds() {
  }

  public static boolean isValid(String id) {
    if (id == null || id.isEmpty() || id.length() > 40) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Returns {@code id} or throws {@code IllegalArgumentException} naming {@code what}. */
  public static String require(String id, String what) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(what + " '" + id + "' is not 1-40 characters of A-Z a-z 0-9 _ -");
    }
    return id;
  }
}
