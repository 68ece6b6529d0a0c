package org.mistore.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the copies of a version's blocks go: a stripe of {@code k} HGs chosen among the live HGs of
 * the region (those with room first, then spread by object), block {@code i}'s copy {@code j} on
 * stripe member {@code (i + j) mod k}, so the {@code r ≤ k} copies of a block sit on distinct HGs.
 * Copies beyond the stripe, and replacements for HGs that refuse, come from the rest of the region,
 * those with room first. Pure: no I/O.
 */
public final class StripePlan {
  /** One live HG as placement sees it. */
  public record Candidate(String id, long freeBytes) {
  }

  private final List<String> stripe;
  private final List<String> rest;

  private StripePlan(List<String> stripe, List<String> rest) {
    this.stripe = stripe;
    this.rest = rest;
  }

  /**
   * @param live the region's live HGs
   * @param k the stripe width asked for (capped by the number of live HGs)
   * @param spread a number that varies by object, so objects start their stripes on different HGs
   * @param room the free bytes an HG needs to count as having room
   */
  public static StripePlan of(List<Candidate> live, int k, int spread, long room) {
    List<String> ranked = withRoomFirst(live, spread, room);
    int width = Math.max(0, Math.min(k, ranked.size()));
    return new StripePlan(ranked.subList(0, width), ranked.subList(width, ranked.size()));
  }

  public List<String> stripe() {
    return stripe;
  }

  /** HGs to try for block {@code index}, best first: its stripe members in copy order, then the rest. */
  public List<String> order(int index) {
    Set<String> out = new LinkedHashSet<>();
    int k = stripe.size();
    for (int j = 0; j < k; j++) {
      out.add(stripe.get((index + j) % k));
    }
    out.addAll(rest);
    return List.copyOf(out);
  }

  /**
   * Live HGs in id order rotated by {@code spread}, then (stably) those with {@code room} ahead of
   * those without: the order stripes are cut from and repair targets are tried in.
   */
  public static List<String> withRoomFirst(List<Candidate> live, int spread, long room) {
    List<Candidate> sorted = new ArrayList<>(live);
    sorted.sort(Comparator.comparing(Candidate::id));
    int n = sorted.size();
    List<Candidate> rotated = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rotated.add(sorted.get(Math.floorMod(spread + i, Math.max(1, n))));
    }
    rotated.sort(Comparator.comparing((Candidate c) -> c.freeBytes() < room));
    return rotated.stream().map(Candidate::id).toList();
  }
}
