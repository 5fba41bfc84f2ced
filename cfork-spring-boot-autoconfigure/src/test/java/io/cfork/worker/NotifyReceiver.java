package io.cfork.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.jspecify.annotations.Nullable;

/**
 * The receiving end of sd_notify for tests: an {@code AF_UNIX} datagram socket bound to a path or,
 * after an {@code @}, to an abstract name, read with a time limit.
 */
public final class NotifyReceiver implements AutoCloseable {

	private static final int AF_UNIX = 1;

	private static final int SOCK_DGRAM = 2;

	private static final int SOL_SOCKET = 1;

	private static final int SO_RCVTIMEO = 20;

	private static final C LIBC = Native.load(Platform.C_LIBRARY_NAME, C.class);

	private final String address;

	private final int fd;

	private NotifyReceiver(String address, int fd) {
		this.address = address;
		this.fd = fd;
	}

	/**
	 * Binds a receiver.
	 * @param address a path, or an abstract name after {@code @}
	 * @return the receiver
	 */
	public static NotifyReceiver bind(String address) {
		int fd = LIBC.socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd < 0) {
			throw new IllegalStateException("socket: errno " + Native.getLastError());
		}
		byte[] path = address.getBytes(StandardCharsets.UTF_8);
		Memory sockaddr = new Memory(110);
		sockaddr.clear();
		sockaddr.setShort(0, (short) AF_UNIX);
		sockaddr.write(2, path, 0, path.length);
		int length = 2 + path.length + 1;
		if (address.startsWith("@")) {
			sockaddr.setByte(2, (byte) 0);
			length = 2 + path.length;
		}
		if (LIBC.bind(fd, sockaddr, length) != 0) {
			int errno = Native.getLastError();
			LIBC.close(fd);
			throw new IllegalStateException("bind " + address + ": errno " + errno);
		}
		return new NotifyReceiver(address, fd);
	}

	/** The address the receiver is bound to, as {@code NOTIFY_SOCKET} names it. */
	public String address() {
		return this.address;
	}

	/**
	 * The next datagram.
	 * @param timeout how long to wait for it
	 * @return its text, or {@code null} if none came in time
	 */
	public @Nullable String receive(Duration timeout) {
		Memory timeval = new Memory(16);
		timeval.setLong(0, timeout.toSeconds());
		timeval.setLong(8, timeout.toMillisPart() * 1000L + 1);
		LIBC.setsockopt(this.fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16);
		byte[] buffer = new byte[4096];
		long read = LIBC.recv(this.fd, buffer, buffer.length, 0);
		return (read < 0) ? null : new String(buffer, 0, (int) read, StandardCharsets.UTF_8);
	}

	@Override
	public void close() {
		LIBC.close(this.fd);
	}

	interface C extends Library {

		int socket(int domain, int type, int protocol);

		int bind(int fd, Pointer address, int length);

		int setsockopt(int fd, int level, int name, Pointer value, int length);

		long recv(int fd, byte[] buffer, long length, int flags);

		int close(int fd);

	}

}
