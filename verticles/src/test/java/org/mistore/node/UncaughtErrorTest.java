package org.mistore.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A thread dying of a JVM error ends the node's process; other failures do not. */
class UncaughtErrorTest {
  /** Run in a child JVM: a thread dies of a plain exception, then one of an OutOfMemoryError. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Thread.setDefaultUncaughtExceptionHandler(Main::uncaught);
      Thread plain = new Thread(() -> {
        throw new IllegalStateException("plain failure");
      }, "worker");
      plain.start();
      plain.join();
      System.out.println("alive after a plain failure");
      Thread fatal = new Thread(() -> {
        throw new OutOfMemoryError("Java heap space");
      }, "vert.x-eventloop-thread-0");
      fatal.start();
      fatal.join();
      Thread.sleep(10_000);
      System.out.println("alive after an OutOfMemoryError");
    }
  }

  @Test
  void aThreadDyingOfOutOfMemoryEndsTheProcessWithCode3() throws Exception {
    Process p = new ProcessBuilder(System.getProperty("java.home") + "/bin/java", "-cp",
        System.getProperty("java.class.path"), Child.class.getName()).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(err).isEqualTo(3);
    assertThat(out).contains("alive after a plain failure").doesNotContain("alive after an OutOfMemoryError");
    assertThat(err).contains("IllegalStateException: plain failure")
        .contains("mistore: fatal: thread vert.x-eventloop-thread-0 died of java.lang.OutOfMemoryError: Java heap space");
  }
}
