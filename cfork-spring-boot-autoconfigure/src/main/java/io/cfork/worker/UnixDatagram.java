package io.cfork.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Sends one {@code AF_UNIX} datagram, which the JDK cannot do (its Unix-domain channels are
 * stream sockets only), through the C library with JNA's direct mapping. Loading this class loads
 * JNA's native part: only {@link SdNotify} touches it, once it has seen JNA on the class path.
 */
final class UnixDatagram {

	private static final int AF_UNIX = 1;

	private static final int SOCK_DGRAM = 2;

	private static final int SOCK_CLOEXEC = 0x80000;

	/** No SIGPIPE if the receiver went away: an error code instead. */
	private static final int MSG_NOSIGNAL = 0x4000;

	/** {@code sizeof(struct sockaddr_un)}: a 2-byte family, then 108 bytes of path. */
	private static final int SOCKADDR_UN_SIZE = 110;

	private static final int SUN_PATH_OFFSET = 2;

	static {
		Native.register(UnixDatagram.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
	}

	private UnixDatagram() {
	}

	private static native int socket(int domain, int type, int protocol);

	private static native long sendto(int fd, byte[] buffer, long length, int flags, Pointer address,
			int addressLength);

	private static native int close(int fd);

	private static native String strerror(int errnum);

	/**
	 * Sends a datagram to a socket address as systemd writes it: a path, or an abstract name
	 * after an {@code @}.
	 * @param address the socket's address
	 * @param message the datagram
	 * @throws IOException if the address is not valid or the datagram was not sent
	 */
	static void send(String address, byte[] message) throws IOException {
		Memory sockaddr = new Memory(SOCKADDR_UN_SIZE);
		sockaddr.clear();
		int length = sockaddr(address, sockaddr);
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			throw failure("cannot create a socket", Native.getLastError());
		}
		try {
			if (sendto(fd, message, message.length, MSG_NOSIGNAL, sockaddr, length) < 0) {
				throw failure("cannot send to " + address, Native.getLastError());
			}
		}
		finally {
			close(fd);
		}
	}

	/**
	 * Fills a {@code struct sockaddr_un} as libsystemd does: an abstract name has no trailing NUL.
	 * @return the address's length
	 */
	private static int sockaddr(String address, Memory sockaddr) throws IOException {
		boolean abstractName = address.startsWith("@");
		if (!abstractName && !address.startsWith("/")) {
			throw new IOException("not an absolute path or an abstract name: " + address);
		}
		byte[] path = address.getBytes(StandardCharsets.UTF_8);
		// An abstract name starts with a NUL where the '@' was; a path ends with one.
		if (path.length + (abstractName ? 0 : 1) > SOCKADDR_UN_SIZE - SUN_PATH_OFFSET) {
			throw new IOException("socket address too long: " + address);
		}
		sockaddr.setShort(0, (short) AF_UNIX);
		sockaddr.write(SUN_PATH_OFFSET, path, 0, path.length);
		if (abstractName) {
			sockaddr.setByte(SUN_PATH_OFFSET, (byte) 0);
			return SUN_PATH_OFFSET + path.length;
		}
		return SUN_PATH_OFFSET + path.length + 1;
	}

	private static IOException failure(String what, int errno) {
		return new IOException(what + ": " + strerror(errno) + " (errno " + errno + ")");
	}

}
