package org.mistore.node;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.logging.LogManager;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mistore} launcher: {@code dev} for a whole cluster in one JVM, {@code node} for one production node. */
@Command(name = "mistore", mixinStandardHelpOptions = true, version = "mistore 0.1.0",
    description = "Versioned, replicated object store for home gateways, POPs and a datacenter.",
    subcommands = {DevCommand.class, NodeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    configureLogging();
    Thread.setDefaultUncaughtExceptionHandler(Main::uncaught);
    MistoreNode.onCopyHolderStoreStopped(Main::copyHolderStoreStopped);
    JvmErrors.onError(e -> uncaught(Thread.currentThread(), e));
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * A thread that dies of a JVM error (out of memory, most likely) leaves the node running without
   * it (an event loop gone: nothing it served answers again), so the process exits at once, with
   * code 3, for its supervisor to restart it; what was acknowledged is on disk. Other failures are
   * printed as the JVM would.
   */
  public static void uncaught(Thread thread, Throwable e) {
    if (e instanceof VirtualMachineError) {
      System.err.println("mistore: fatal: thread " + thread.getName() + " died of " + e + "; exiting");
      Runtime.getRuntime().halt(3);
    }
    System.err.print("Exception in thread \"" + thread.getName() + "\" ");
    e.printStackTrace();
  }

  /**
   * A POP or DC whose store stopped taking writes (its disk failed) ends the process at once, with
   * code 4: the other nodes then see it down and act for it, as for a crash; what it acknowledged is
   * on disk for its restart once the disk is fixed. No shutdown hooks: nothing more is written.
   */
  static void copyHolderStoreStopped(String why) {
    System.err.println("mistore: fatal: " + why + "; exiting");
    System.err.flush();
    Runtime.getRuntime().halt(4);
  }

  /** Runs the launcher; returns the exit code (2 for usage errors, 1 for a node that cannot start). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    NodeCommand.addSettingFlags(cli.getSubcommands().get("node").getCommandSpec());
    cli.setOut(out);
    cli.setErr(err);
    CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
    cli.setParameterExceptionHandler((e, args1) -> {
      // A flag given a value of the wrong type is a bad value like any other: one line, exit 1.
      // Unknown commands, flags and missing values keep the usage text (exit 2).
      if (e.getCause() instanceof CommandLine.TypeConversionException) {
        err.println("mistore: " + e.getMessage());
        err.flush();
        return 1;
      }
      return usage.handleParseException(e, args1);
    });
    cli.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof StartupException) {
        err.println("mistore: " + e.getMessage());
      } else {
        err.println("mistore: unexpected failure: " + SettingsLoader.oneLine(e));
      }
      err.flush();
      return 1;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: dev or node");
  }

  private static void configureLogging() {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    try (InputStream in = Main.class.getResourceAsStream("/mistore-logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    } catch (Exception e) {
      System.err.println("mistore: logging configuration ignored: " + e.getMessage());
    }
  }
}
