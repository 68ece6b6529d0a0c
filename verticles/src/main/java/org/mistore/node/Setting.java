package org.mistore.node;

import java.util.Locale;

/**
 * One configuration key: its name in files ({@code http-port}), as an environment variable
 * ({@code MISTORE_HTTP_PORT}) and as a system property ({@code mistore.http-port}), its default and
 * what it does.
 */
public record Setting(String key, String defaultValue, String doc) {

  public String envName() {
    return "MISTORE_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  public String propertyName() {
    return "mistore." + key;
  }
}
