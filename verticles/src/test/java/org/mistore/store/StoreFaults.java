package org.mistore.store;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Faults a test may inject into a running store, as a failing disk would cause them. */
public final class StoreFaults {
  private StoreFaults() {
  }

  /** The store's next journal record fails to be written. */
  public static void breakJournal(RoleStore store) {
    try {
      store.breakJournal();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
