package org.mistore.codecs;

import java.util.regex.Pattern;

/** Node and region names: 1–40 characters of {@code A-Z a-z 0-9 _ -}, so they fit in URLs, addresses and object ids. */
public final class NodeIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,40}");

  private NodeIds() {
  }

  public static boolean isValid(String id) {
    return id != null && VALID.matcher(id).matches();
  }

  /** Returns {@code id} or throws {@code IllegalArgumentException} naming {@code what}. */
  public static String require(String id, String what) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(what + " '" + id + "' is not 1-40 characters of A-Z a-z 0-9 _ -");
    }
    return id;
  }
}
