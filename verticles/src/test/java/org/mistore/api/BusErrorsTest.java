package org.mistore.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.junit.jupiter.api.Test;

/** How a copy-holder's refusal becomes the client's answer. */
class BusErrorsTest {
  private static HttpProblem http(int code, String text) {
    return (HttpProblem) BusErrors.toHttp(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, text));
  }

  @Test
  void aConflictNamesTheCurrentVersionTheCopyHolderGave() {
    HttpProblem tagged = http(409, "current-version=7;stale fence 3 (current 4)");
    assertThat(tagged.status()).isEqualTo(409);
    assertThat(tagged.currentVersion()).as("no second request needed for the version").isEqualTo(7);
    assertThat(tagged.getMessage()).isEqualTo("stale fence 3 (current 4)");

    HttpProblem plain = http(409, "lock token is not a live lock");
    assertThat(plain.currentVersion()).isZero();
    assertThat(plain.getMessage()).isEqualTo("lock token is not a live lock");

    HttpProblem noVersionYet = http(409, "current-version=0;the write needs a live write lock");
    assertThat(noVersionYet.currentVersion()).isZero();
    assertThat(noVersionYet.getMessage()).isEqualTo("the write needs a live write lock");
  }
}
