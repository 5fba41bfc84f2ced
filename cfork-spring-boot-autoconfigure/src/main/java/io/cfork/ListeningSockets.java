package io.cfork;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Whether a process, or a process of its session, listens on a TCP port, from {@code /proc}: the
 * listening sockets of the port in {@code /proc/net/tcp} and {@code tcp6}, against the socket
 * inodes among the process's descriptors. No connection is made, so workers that share one port
 * ({@code SO_REUSEPORT}, or a socket inherited from the master) are told apart.
 */
final class ListeningSockets {

	private static final String LISTEN = "0A";

	private ListeningSockets() {
	}

	/**
	 * Whether the process or a member of its session listens on the port.
	 * @param pid a worker, which leads its session
	 * @param port the TCP port
	 * @return whether one of them holds a listening socket of the port
	 */
	static boolean listens(long pid, int port) {
		Set<String> listening = listeningInodes(port);
		if (listening.isEmpty()) {
			return false;
		}
		if (holdsAny(pid, listening)) {
			return true;
		}
		for (long member : ProcFs.pids()) {
			ProcFs.Stat stat = (member != pid) ? ProcFs.stat(member) : null;
			if (stat != null && stat.session() == pid && holdsAny(member, listening)) {
				return true;
			}
		}
		return false;
	}

	/** The inodes of the sockets listening on the port, in this process's network namespace. */
	static Set<String> listeningInodes(int port) {
		String hexPort = String.format(Locale.ROOT, ":%04X", port);
		Set<String> inodes = new HashSet<>();
		for (String table : List.of("tcp", "tcp6")) {
			try {
				for (String line : Files.readAllLines(ProcFs.PROC.resolve("net").resolve(table))) {
					// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
					String[] fields = line.trim().split("\\s+");
					if (fields.length > 9 && fields[1].endsWith(hexPort) && LISTEN.equals(fields[3])) {
						inodes.add(fields[9]);
					}
				}
			}
			catch (IOException ex) {
				// No such table (no IPv6): nothing listens there.
			}
		}
		return inodes;
	}

	private static boolean holdsAny(long pid, Set<String> inodes) {
		try (DirectoryStream<Path> fds = Files.newDirectoryStream(ProcFs.PROC.resolve(pid + "/fd"))) {
			for (Path fd : fds) {
				String target = readLink(fd);
				if (target != null && target.startsWith("socket:[")
						&& inodes.contains(target.substring(8, target.length() - 1))) {
					return true;
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Gone, or not ours to read.
		}
		return false;
	}

	private static String readLink(Path fd) {
		try {
			return Files.readSymbolicLink(fd).toString();
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

}
