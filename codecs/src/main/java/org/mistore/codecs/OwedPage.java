package org.mistore.codecs;

import java.util.List;

/** A page of {@link OwedReply results} a POP delivers to one of its returning HGs. */
public record OwedPage(String pop, List<OwedReply> replies) {
  /** Most results in one page. */
  public static final int MAX_REPLIES = 256;

  public OwedPage {
    NodeIds.require(pop, "POP");
    if (replies == null || replies.size() > MAX_REPLIES) {
      throw new IllegalArgumentException("an owed page holds 0.." + MAX_REPLIES + " results");
    }
    replies = List.copyOf(replies);
  }

  void write(WireWriter w) {
    w.writeString(pop).writeInt(replies.size());
    replies.forEach(r -> r.write(w));
  }

  static OwedPage read(WireReader r) {
    String pop = r.readString();
    int n = r.readCount(MAX_REPLIES, "owed reply");
    List<OwedReply> replies = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      replies.add(OwedReply.read(r));
    }
    try {
      return new OwedPage(pop, replies);
    } catch (IllegalArgumentException e) {
      throw new MalformedWireException("owed page: " + e.getMessage());
    }
  }
}
