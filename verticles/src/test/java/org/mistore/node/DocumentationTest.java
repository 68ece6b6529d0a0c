package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration table names every setting, with its environment variable and default. */
class DocumentationTest {

  @Test
  void readmeDocumentsEverySetting() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    for (Setting s : NodeSettings.ALL) {
      String row = "| `" + s.key() + "` | `" + s.envName() + "` | "
          + (s.defaultValue().isEmpty() ? "—" : "`" + s.defaultValue() + "`") + " |";
      assertThat(readme).as("README row for " + s.key()).contains(row);
    }
  }
}
