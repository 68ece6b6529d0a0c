package org.mistore.testing;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.stream.Collectors;

/** Reads {@code /v1/cluster} of a node as id → status, and counts by role. */
public final class ClusterView {
  private ClusterView() {
  }

  public static Map<String, String> statuses(String baseUrl) {
    JsonObject body = Http.json(baseUrl + "/v1/cluster");
    return body.getJsonArray("nodes").stream().map(JsonObject.class::cast)
        .collect(Collectors.toMap(n -> n.getString("role") + "/" + n.getString("id"), n -> n.getString("status")));
  }

  public static Map<String, Long> upByRole(String baseUrl) {
    JsonObject body = Http.json(baseUrl + "/v1/cluster");
    return body.getJsonArray("nodes").stream().map(JsonObject.class::cast)
        .filter(n -> "up".equals(n.getString("status")))
        .collect(Collectors.groupingBy(n -> n.getString("role"), Collectors.counting()));
  }
}
