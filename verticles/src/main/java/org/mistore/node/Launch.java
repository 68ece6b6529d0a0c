package org.mistore.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;
import org.mistore.directory.NodeDirectory;

/** Starting a production node from its settings, with the checks that make failures one clear line. */
public final class Launch {
  private Launch() {
  }

  /**
   * Checks the data folder and the HTTP port before joining the cluster (joining takes seconds; a
   * typo should not), then joins and deploys. Blocking: call from {@code main} or a test thread.
   */
  public static MistoreNode node(NodeSettings s) {
    checkDataFolder(s.data());
    checkPortFree(s.httpHost(), s.httpPort(), "serve HTTP");
    if (s.clusterConfig() == null) {
      checkPortFree(s.clusterHost(), s.clusterPort(), "listen for the cluster");
    }
    FileLock folder = lockDataFolder(s.data());
    try {
      checkDataFolderIsThisNodes(s);
    } catch (StartupException e) {
      release(folder);
      throw e;
    }
    AtomicReference<NodeDirectory> directoryRef = new AtomicReference<>();
    ClusterBootstrap.Booted booted;
    try {
      booted = ClusterBootstrap.clustered(s, member -> {
        NodeDirectory d = directoryRef.get();
        if (d != null) {
          d.memberLeft(member);
        }
      });
    } catch (RuntimeException e) {
      release(folder);
      throw e;
    }
    NodeDirectory directory = new NodeDirectory(booted.vertx(), s.failureDetectionMs(), booted::peers);
    directoryRef.set(directory);
    NodeServices services = new NodeServices(booted.vertx(), directory, booted.memberId(), booted.registry(), s.data(),
        s.heartbeatIntervalMs(), s.failureDetectionMs(), s.capacityBytes(), s.limits());
    try {
      return MistoreNode.start(booted, directory, services,
          s.roles().stream().map(r -> new RoleIdentity(r, s.id(), s.region(), s.pop())).toList(),
          s.httpHost(), s.httpPort()).await();
    } catch (RuntimeException e) {
      booted.close();
      release(folder);
      throw e instanceof StartupException ? e : new StartupException(SettingsLoader.oneLine(e));
    }
  }

  /** The file a running node locks in its data folder. */
  static final String LOCK_FILE = ".mistore.lock";
  /** The folder locks this process holds: referenced, so that no collection of their channels frees them. */
  private static final java.util.Set<FileLock> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * Locks the data folder for this process (until it exits), before it joins the cluster: a second
   * node started on the same folder stops with one line instead of joining and then failing to open
   * the stores.
   */
  static FileLock lockDataFolder(Path data) {
    Path file = data.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock != null) {
        HELD.add(lock);
        return lock;
      }
    } catch (OverlappingFileLockException e) {
      // held by this JVM: in use all the same
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StartupException("cannot lock data folder " + data + " (" + file.getFileName() + "): "
          + SettingsLoader.oneLine(e));
    }
    closeQuietly(channel);
    throw new StartupException("data folder " + data + " is in use by another Mistore node (it holds "
        + file.getFileName() + "); stop that node or give this one its own --data");
  }

  private static void release(FileLock lock) {
    HELD.remove(lock);
    closeQuietly(lock.channel());
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing more to release
      }
    }
  }

  /**
   * Why a file operation failed, in words: the JDK's file-system exceptions carry only the path in
   * their message ("cannot create data folder /x: /x" said nothing).
   */
  static String why(Exception e) {
    if (e instanceof java.nio.file.AccessDeniedException a) {
      return "permission denied (" + a.getFile() + ")";
    }
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return "no such file or folder (" + n.getFile() + ")";
    }
    if (e instanceof java.nio.file.FileSystemException f) {
      return (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName()) + " (" + f.getFile() + ")";
    }
    return SettingsLoader.oneLine(e);
  }

  static void checkDataFolder(Path data) {
    try {
      Files.createDirectories(data);
    } catch (IOException | SecurityException e) {
      throw new StartupException("cannot create data folder " + data + ": "
          + (e instanceof java.nio.file.FileAlreadyExistsException ? "it, or a folder above it, is a file"
          : why(e)));
    }
    if (!Files.isDirectory(data) || !Files.isReadable(data) || !Files.isWritable(data)) {
      throw new StartupException("data folder " + data + " is not a readable and writable folder");
    }
  }

  /** The file in a data folder naming the node that owns it: its id and region. */
  static final String OWNER_FILE = "node.properties";
  private static final java.util.regex.Pattern STORE_FILE = java.util.regex.Pattern.compile("(hg|pop|dc)-(.+)\\.db");

  /**
   * Refuses a data folder written by another node, by another role of this id, or in another
   * region: its stores and the cluster's view of them (which HG holds which block, which POP holds
   * which object) would disagree. Records this node's id and region in a folder new to it.
   */
  static void checkDataFolderIsThisNodes(NodeSettings s) {
    java.util.Set<String> mine = new java.util.HashSet<>();
    s.roles().forEach(r -> mine.add(NodeServices.storeFileName(r, s.id())));
    try (var files = Files.list(s.data())) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        java.util.regex.Matcher m = STORE_FILE.matcher(name);
        if (m.matches() && !mine.contains(name)) {
          throw new StartupException("data folder " + s.data() + " holds the store of " + m.group(1) + " " + m.group(2)
              + " (" + name + "), which this node (" + String.join(", ", s.roles().stream().map(r -> r.wireName()).toList())
              + " " + s.id() + ") does not run: a data folder keeps its node's id and roles; use another --data");
        }
      }
    } catch (IOException e) {
      throw new StartupException("cannot list data folder " + s.data() + ": " + SettingsLoader.oneLine(e));
    }
    Path owner = s.data().resolve(OWNER_FILE);
    java.util.Properties recorded = new java.util.Properties();
    try {
      if (Files.exists(owner)) {
        try (var in = Files.newBufferedReader(owner)) {
          recorded.load(in);
        }
        String region = recorded.getProperty("region");
        String id = recorded.getProperty("id");
        if (id != null && !id.equals(s.id())) {
          throw new StartupException("data folder " + s.data() + " belongs to node " + id + ", not " + s.id() + " ("
              + OWNER_FILE + "): use another --data");
        }
        if (region != null && !region.equals(s.region())) {
          throw new StartupException("data folder " + s.data() + " belongs to " + s.id() + " in region " + region
              + ", not " + s.region() + " (" + OWNER_FILE + "): a node keeps its region on its data; use another --data "
              + "and id to move it");
        }
        if (region != null) {
          return;
        }
      }
      recorded.setProperty("id", s.id());
      recorded.setProperty("region", s.region());
      Path written = owner.resolveSibling(OWNER_FILE + ".new");
      try (var out = Files.newBufferedWriter(written)) {
        recorded.store(out, "the node this data folder belongs to");
      }
      Files.move(written, owner, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new StartupException("cannot read or write " + owner + ": " + SettingsLoader.oneLine(e));
    }
  }

  static void checkPortFree(String host, int port, String what) {
    if (port == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new StartupException("cannot " + what + " on " + host + ":" + port + ": " + SettingsLoader.oneLine(e));
    }
  }
}
