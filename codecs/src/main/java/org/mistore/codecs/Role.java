package org.mistore.codecs;

import java.util.Locale;

/** The three kinds of node in the paper's hierarchy. */
public enum Role {
  HG, POP, DC;

  /** Lower-case name used in addresses, data files and the API ({@code hg}, {@code pop}, {@code dc}). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code hg|pop|dc} in any case; {@code IllegalArgumentException} with the valid choices otherwise. */
  public static Role parse(String text) {
    for (Role r : values()) {
      if (r.wireName().equalsIgnoreCase(text == null ? "" : text.trim())) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + text + "' (expected hg, pop or dc)");
  }
}
