package io.cfork.autoconfigure.worker;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket a worker got from its pool's master ({@code cfork.listen}), as the embedded
 * web servers can adopt it: on stdin, where {@link System#inheritedChannel()} finds it (Tomcat's
 * {@code useInheritedChannel}, Jetty's {@code inheritChannel}). The master hands it there with
 * {@code cfork.listen-stdin}, on by default for {@code java.main-class} workers; a Java worker
 * started with {@code cfork.exec} has its sockets at descriptor 3 and on (systemd's
 * {@code LISTEN_FDS}), which Java cannot adopt.
 */
final class InheritedSocket {

	private static final Logger logger = LoggerFactory.getLogger(InheritedSocket.class);

	private final @Nullable SocketAddress address;

	private final int listenFds;

	private boolean reported;

	InheritedSocket(@Nullable SocketAddress address, int listenFds) {
		this.address = address;
		this.listenFds = listenFds;
	}

	/**
	 * Looks at this process's stdin and its socket-activation variables.
	 * @param environment the process's environment variables
	 * @param pid this process's pid, which {@code LISTEN_PID} must name
	 */
	static InheritedSocket detect(Function<String, @Nullable String> environment, long pid) {
		return new InheritedSocket(inheritedAddress(), listenFds(environment, pid));
	}

	private static @Nullable SocketAddress inheritedAddress() {
		try {
			Channel inherited = System.inheritedChannel();
			return (inherited instanceof ServerSocketChannel server) ? server.getLocalAddress() : null;
		}
		catch (IOException | SecurityException ex) {
			return null;
		}
	}

	private static int listenFds(Function<String, @Nullable String> environment, long pid) {
		try {
			String listenPid = environment.apply("LISTEN_PID");
			String listenFds = environment.apply("LISTEN_FDS");
			return (listenPid != null && listenFds != null && Long.parseLong(listenPid.trim()) == pid)
					? Integer.parseInt(listenFds.trim()) : 0;
		}
		catch (NumberFormatException ex) {
			return 0;
		}
	}

	/**
	 * Whether stdin is a listening socket a web server can accept on.
	 * @return whether there is a socket to adopt
	 */
	boolean isAvailable() {
		return this.address != null;
	}

	/**
	 * Says once what the web server does with the pool's socket: adopts it (INFO), or cannot
	 * because it is not on stdin (WARN, with the fix).
	 * @param server the web server's name
	 */
	synchronized void report(String server) {
		if (this.reported) {
			return;
		}
		this.reported = true;
		if (this.address != null) {
			logger.info("{} accepts on the listening socket inherited from the pool's master ({}) instead of "
					+ "binding server.port", server, this.address);
		}
		else if (this.listenFds > 0) {
			logger.warn("This worker got {} listening socket(s) from its pool's master (LISTEN_FDS) but none on "
					+ "stdin, which is the only place {} can adopt one from: it binds server.port itself. Set "
					+ "cfork.listen-stdin=true on the master to have it accept on the pool's socket.", this.listenFds,
					server);
		}
	}

}
