package org.mistore.codecs;

/**
 * Identity of an object as in the paper: its primary POP, its backup POP, the HG that created it and
 * that HG's creation counter. Rendered as {@code primary.backup.creator.counter} (counter in base 36),
 * which is URL-safe because node ids never contain a dot.
 */
public record ObjectId(String primaryPop, String backupPop, String creatorHg, long counter) {
  public ObjectId {
    NodeIds.require(primaryPop, "primary POP");
    NodeIds.require(backupPop, "backup POP");
    NodeIds.require(creatorHg, "creator HG");
    if (counter < 0) {
      throw new IllegalArgumentException("negative object counter " + counter);
    }
  }

  public String render() {
    return primaryPop + '.' + backupPop + '.' + creatorHg + '.' + Long.toString(counter, 36);
  }

  /** Parses a rendered id; {@code IllegalArgumentException} with the reason when it is malformed. */
  public static ObjectId parse(String text) {
    if (text == null || text.length() > 200) {
      throw new IllegalArgumentException("object id missing or too long");
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("object id '" + text + "' must have 4 dot-separated parts");
    }
    if (!isCounter(parts[3])) {
      throw new IllegalArgumentException("object id '" + text + "' has a malformed counter");
    }
    long counter;
    try {
      counter = Long.parseLong(parts[3], 36);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("object id '" + text + "' has a malformed counter");
    }
    return new ObjectId(parts[0], parts[1], parts[2], counter);
  }

  /**
   * 1–13 digits of base 36, lower case, without leading zeros: an id has one spelling, so that
   * {@code .01} cannot name the object {@code .1} (whose ETag would then differ from the URL).
   */
  private static boolean isCounter(String text) {
    if (text.isEmpty() || text.length() > 13 || text.length() > 1 && text.charAt(0) == '0') {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z')) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return render();
  }

  void write(WireWriter w) {
    w.writeString(primaryPop).writeString(backupPop).writeString(creatorHg).writeLong(counter);
  }

  static ObjectId read(WireReader r) {
    String primary = r.readString();
    String backup = r.readString();
    String creator = r.readString();
    long counter = r.readLong();
    try {
      return new ObjectId(primary, backup, creator, counter);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("object id: " + e.getMessage());
    }
  }
}
