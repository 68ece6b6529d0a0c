package org.mistore.node;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Merges configuration with vertx-config. Precedence, highest first: command-line flags, system
 * properties ({@code mistore.<key>}), environment ({@code MISTORE_<KEY>}), the {@code --config} file
 * (JSON, or YAML by extension), then each setting's default.
 */
public final class SettingsLoader {
  private SettingsLoader() {
  }

  /** Merged configuration keyed by setting key; fails with a {@link StartupException} on an unreadable or unknown-keyed file. */
  public static Future<JsonObject> load(Vertx vertx, List<Setting> settings, Path file, JsonObject flags) {
    Future<JsonObject> fromFile = file == null ? Future.succeededFuture(new JsonObject()) : readFile(vertx, file, settings);
    ConfigRetriever environment = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("env"))
        .addStore(new ConfigStoreOptions().setType("sys")));
    return fromFile.compose(fileConfig -> environment.getConfig()
        .eventually(environment::close)
        .map(env -> {
          JsonObject merged = new JsonObject();
          for (Setting s : settings) {
            Object value = firstPresent(flags.getValue(s.key()), env.getValue(s.propertyName()),
                env.getValue(s.envName()), fileConfig.getValue(s.key()));
            if (value != null) {
              merged.put(s.key(), value);
            }
          }
          return merged;
        }));
  }

  private static Object firstPresent(Object... values) {
    for (Object v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static Future<JsonObject> readFile(Vertx vertx, Path file, List<Setting> settings) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    String format = name.endsWith(".yaml") || name.endsWith(".yml") ? "yaml" : "json";
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions().setScanPeriod(0)
        .addStore(new ConfigStoreOptions().setType("file").setFormat(format).setOptional(false)
            .setConfig(new JsonObject().put("path", file.toString()))));
    return retriever.getConfig()
        .eventually(retriever::close)
        .recover(e -> Future.failedFuture(new StartupException("cannot read config file " + file + ": "
            + (java.nio.file.Files.exists(file) ? oneLine(e) : "no such file"))))
        .compose(config -> {
          Set<String> unknown = new TreeSet<>(config.fieldNames());
          settings.forEach(s -> unknown.remove(s.key()));
          return unknown.isEmpty() ? Future.succeededFuture(config)
              : Future.failedFuture(new StartupException("config file " + file + " has unknown keys " + unknown));
        });
  }

  static String oneLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return msg.lines().findFirst().orElse(msg);
  }
}
