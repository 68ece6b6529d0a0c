package org.mistore.codecs;

import java.util.Locale;

/** Shared read lock or exclusive write lock. */
public enum LockType {
  READ, WRITE;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static LockType parse(String text) {
    for (LockType t : values()) {
      if (t.wireName().equals(text)) {
        return t;
      }
    }
    throw new IllegalArgumentException("lock type must be \"read\" or \"write\", not '" + text + "'");
  }
}
