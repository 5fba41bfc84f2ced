package io.cfork;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.sun.jna.Memory;

/**
 * The listening sockets the master owns ({@code cfork.listen}): bound once, before the first fork,
 * held for the pool's life, and handed to every worker by the {@link NativeLauncher} (a worker
 * killed while the master holds them never makes the port unavailable, and no connection queued
 * on them is lost when a worker exits). Created close-on-exec, so that only workers, through the
 * launcher's {@code dup2}, get them.
 */
final class MasterSockets implements AutoCloseable {

	private static final int AF_INET = 2;

	private static final int AF_INET6 = 10;

	private static final int SOCK_CLOEXEC = LinuxLibc.O_CLOEXEC;

	private static final int SOL_SOCKET = 1;

	private static final int SO_REUSEADDR = 2;

	private static final int IPPROTO_IPV6 = 41;

	private static final int IPV6_V6ONLY = 26;

	private static final int EADDRINUSE = 98;

	private static final int EAFNOSUPPORT = 97;

	private final List<ListenAddress> addresses;

	private final int[] fds;

	private MasterSockets(List<ListenAddress> addresses, int[] fds) {
		this.addresses = addresses;
		this.fds = fds;
	}

	/**
	 * Binds every address, or none.
	 * @param addresses the addresses
	 * @return the sockets
	 * @throws InvalidPoolOptionException naming the address that cannot be bound, and why
	 */
	static MasterSockets bind(List<ListenAddress> addresses) {
		int[] fds = new int[addresses.size()];
		for (int i = 0; i < addresses.size(); i++) {
			try {
				fds[i] = bind(addresses.get(i), i);
			}
			catch (RuntimeException ex) {
				for (int j = 0; j < i; j++) {
					LinuxLibc.close(fds[j]);
				}
				throw ex;
			}
		}
		return new MasterSockets(List.copyOf(addresses), fds);
	}

	private static int bind(ListenAddress address, int index) {
		String option = "listen[" + index + "].port";
		InetAddress host = resolve(address, index);
		boolean v6 = host == null || host instanceof Inet6Address;
		int fd = LinuxLibc.socket(v6 ? AF_INET6 : AF_INET, LinuxLibc.SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 && host == null && LinuxLibc.errno() == EAFNOSUPPORT) {
			// No IPv6 here: every interface is every IPv4 interface.
			v6 = false;
			fd = LinuxLibc.socket(AF_INET, LinuxLibc.SOCK_STREAM | SOCK_CLOEXEC, 0);
		}
		if (fd < 0) {
			throw failure(option, address, "cannot create a socket: " + LinuxLibc.describe(LinuxLibc.errno()));
		}
		setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (v6 && host == null) {
			setOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
		}
		Memory sockaddr = sockaddr(v6, host, address.port());
		if (LinuxLibc.bind(fd, sockaddr, (int) sockaddr.size()) != 0) {
			int errno = LinuxLibc.errno();
			LinuxLibc.close(fd);
			if (errno == EADDRINUSE) {
				throw new InvalidPoolOptionException(option, address.port(),
						"address " + address + " is already in use" + holder(address.port()),
						"Stop what holds the port, or set {" + option + "} to a free one.");
			}
			throw failure(option, address, "cannot bind " + address + ": " + LinuxLibc.describe(errno));
		}
		if (LinuxLibc.listen(fd, address.backlog()) != 0) {
			int errno = LinuxLibc.errno();
			LinuxLibc.close(fd);
			throw failure(option, address, "cannot listen on " + address + ": " + LinuxLibc.describe(errno));
		}
		return fd;
	}

	private static InetAddress resolve(ListenAddress address, int index) {
		if (address.host() == null) {
			return null;
		}
		try {
			return InetAddress.getByName(address.host());
		}
		catch (UnknownHostException ex) {
			throw new InvalidPoolOptionException("listen[" + index + "].host", address.host(), "does not resolve",
					"Set {listen[" + index + "].host} to an address of this machine, or remove it to listen on every "
							+ "interface.");
		}
	}

	private static void setOption(int fd, int level, int name, int value) {
		LinuxLibc.setsockopt(fd, level, name, new int[] { value }, 4);
	}

	private static Memory sockaddr(boolean v6, InetAddress host, int port) {
		ByteBuffer buffer = ByteBuffer.allocate(v6 ? 28 : 16);
		buffer.order(ByteOrder.nativeOrder()).putShort((short) (v6 ? AF_INET6 : AF_INET));
		buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) port);
		if (v6) {
			buffer.putInt(0);
			buffer.put((host != null) ? host.getAddress() : new byte[16]);
		}
		else {
			buffer.put((host != null) ? host.getAddress() : new byte[4]);
		}
		Memory memory = new Memory(buffer.capacity());
		memory.write(0, buffer.array(), 0, buffer.capacity());
		return memory;
	}

	private static InvalidPoolOptionException failure(String option, ListenAddress address, String problem) {
		return new InvalidPoolOptionException(option, address.port(), problem,
				"Check {" + option + "} and the host and backlog given with it.");
	}

	/**
	 * Who holds a listening socket of the port, if {@code /proc} tells: {@code " by pid 4242 (node
	 * server.js)"}.
	 */
	static String holder(int port) {
		Set<String> inodes = ListeningSockets.listeningInodes(port);
		if (inodes.isEmpty()) {
			return "";
		}
		for (long pid : ProcFs.pids()) {
			try (DirectoryStream<Path> fds = Files.newDirectoryStream(ProcFs.PROC.resolve(pid + "/fd"))) {
				for (Path fd : fds) {
					String target = Files.readSymbolicLink(fd).toString();
					if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
						String command = new String(Files.readAllBytes(ProcFs.PROC.resolve(pid + "/cmdline")))
							.replace('\0', ' ')
							.trim();
						return " by pid " + pid + " (" + ControlCharacters.escape(command) + ")";
					}
				}
			}
			catch (IOException | RuntimeException ex) {
				// Gone, or not ours to read.
			}
		}
		return "";
	}

	List<ListenAddress> addresses() {
		return this.addresses;
	}

	/**
	 * The master's descriptors of the sockets, in the order of the addresses.
	 * @return the descriptors
	 */
	int[] fds() {
		return this.fds.clone();
	}

	@Override
	public void close() {
		for (int fd : this.fds) {
			LinuxLibc.close(fd);
		}
	}

	static List<String> describe(List<ListenAddress> addresses) {
		List<String> described = new ArrayList<>(addresses.size());
		addresses.forEach((address) -> described.add(address.toString()));
		return described;
	}

}
