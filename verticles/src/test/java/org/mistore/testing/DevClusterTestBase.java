package org.mistore.testing;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A test that runs against a dev cluster in this JVM, on a fresh data folder, closed after each test. */
public abstract class DevClusterTestBase {
  @TempDir
  protected Path data;
  protected DevHarness dev;

  protected DevHarness start(int pops, int hgsPerPop, JsonObject overrides) {
    dev = DevHarness.start(data, pops, hgsPerPop, overrides);
    return dev;
  }

  @AfterEach
  void closeDevCluster() {
    if (dev != null) {
      dev.close();
    }
  }
}
