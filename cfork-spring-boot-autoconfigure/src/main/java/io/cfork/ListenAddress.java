package io.cfork;

import org.jspecify.annotations.Nullable;

/**
 * A TCP address the master binds once, before forking, and hands to every worker with systemd's
 * socket-activation protocol: the sockets from descriptor 3 on, {@code LISTEN_FDS},
 * {@code LISTEN_PID} (the worker's own pid) and {@code LISTEN_FDNAMES}.
 *
 * @param port the port, 1 to 65535
 * @param host the address to bind, or {@code null} for every interface (IPv6 and IPv4)
 * @param backlog the listen backlog
 * @param name the socket's {@code LISTEN_FDNAMES} entry, or {@code null} for the port
 */
public record ListenAddress(int port, @Nullable String host, int backlog, @Nullable String name) {

	/** Node's and nginx's default backlog. */
	public static final int DEFAULT_BACKLOG = 511;

	/**
	 * The address of a port on every interface, with the default backlog.
	 * @param port the port
	 * @return the address
	 */
	public static ListenAddress port(int port) {
		return new ListenAddress(port, null, DEFAULT_BACKLOG, null);
	}

	/**
	 * The socket's name for {@code LISTEN_FDNAMES}.
	 * @return the name given, else the port
	 */
	public String fdName() {
		return (this.name != null) ? this.name : Integer.toString(this.port);
	}

	@Override
	public String toString() {
		return ((this.host != null) ? (this.host.contains(":") ? "[" + this.host + "]" : this.host) : "*") + ":"
				+ this.port;
	}

}
