package org.mistore.codecs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ObjectIdTest {

  @Test
  void renderedIdParsesBackAndIsUrlSafe() {
    ObjectId id = new ObjectId("pop_A", "pop-2", "hg-9", Long.MAX_VALUE);
    String text = id.render();
    assertThat(ObjectId.parse(text)).isEqualTo(id);
    assertThat(URLEncoder.encode(text, StandardCharsets.UTF_8)).isEqualTo(text);
  }

  @Test
  void malformedIdsAreRejectedWithAReason() {
    for (String bad : new String[] {"", "a.b.c", "a.b.c.d.e", "a.b.c.-1", "a.b.c.ZZ", "a..c.1", "a b.c.d.1",
        "a.b.c.zzzzzzzzzzzzzzzz", "../../x.y.z.1", "a.b.c.01", "a.b.c.00", "a.b.c.0x1"}) {
      assertThatThrownBy(() -> ObjectId.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> ObjectId.parse(null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(ObjectId.parse("a.b.c.0").render()).as("the counter zero has one digit").isEqualTo("a.b.c.0");
  }
}
