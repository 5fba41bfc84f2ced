package io.cfork;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link NativeLauncher} calls in glibc and the Linux kernel, bound with JNA's direct
 * mapping (one JNI call per function, no proxy). Loading this class loads JNA's native part: only
 * {@link Launchers} touches it, once it has seen JNA on the class path.
 * <p>
 * Constants are Linux's generic values, the same on x86_64 and aarch64 (the two architectures
 * {@link Launchers} lets through); the one layout that differs between them, {@code struct
 * epoll_event}, is handled by {@link #EPOLL_EVENT_SIZE}.
 */
final class LinuxLibc {

	static final int O_RDONLY = 0;

	static final int O_WRONLY = 1;

	static final int O_NONBLOCK = 0x800;

	static final int O_CLOEXEC = 0x80000;

	static final int F_SETFL = 4;

	static final int AF_UNIX = 1;

	static final int SOCK_STREAM = 1;

	static final int SOCK_DGRAM = 2;

	static final int EPOLL_CTL_ADD = 1;

	static final int EPOLL_CTL_DEL = 2;

	static final int EPOLL_CTL_MOD = 3;

	static final int EPOLLIN = 0x1;

	static final int EPOLLONESHOT = 1 << 30;

	/** {@code struct epoll_event} is packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
	static final int EPOLL_EVENT_SIZE = Platform.isIntel() ? 12 : 16;

	/** Offset of {@code data} in {@code struct epoll_event}. */
	static final int EPOLL_EVENT_DATA = Platform.isIntel() ? 4 : 8;

	static final int WNOHANG = 1;

	static final int SIGQUIT = 3;

	static final int SIGKILL = 9;

	static final int SIGTERM = 15;

	static final int EINTR = 4;

	static final int EAGAIN = 11;

	static final int ENOMEM = 12;

	static final int ENFILE = 23;

	static final int EMFILE = 24;

	static final int ENOSYS = 38;

	static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	/** glibc ≥ 2.26. */
	static final short POSIX_SPAWN_SETSID = 0x80;

	/** Linux ≥ 5.1; the same number on every architecture. */
	static final long SYS_PIDFD_SEND_SIGNAL = 424;

	/** Linux ≥ 5.3; the same number on every architecture. */
	static final long SYS_PIDFD_OPEN = 434;

	/**
	 * Room for glibc's {@code posix_spawnattr_t} (336 bytes on 64-bit), {@code
	 * posix_spawn_file_actions_t} (80) and {@code sigset_t} (128), with a margin: they are only
	 * ever handled through glibc's functions.
	 */
	static final int OPAQUE_SIZE = 512;

	/** How this JVM encodes file names, arguments and environment for the OS, as the JDK does. */
	static final Charset NATIVE_CHARSET = nativeCharset();

	private static final NativeLibrary LIBC = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);

	static {
		Native.register(LinuxLibc.class, LIBC);
	}

	private LinuxLibc() {
	}

	static native int getpid();

	static native String gnu_get_libc_version();

	static native String strerror(int errnum);

	static native int posix_spawn(int[] pid, Pointer path, Pointer fileActions, Pointer attributes, Pointer argv,
			Pointer envp);

	static native int posix_spawnp(int[] pid, Pointer file, Pointer fileActions, Pointer attributes, Pointer argv,
			Pointer envp);

	static native int posix_spawn_file_actions_init(Pointer fileActions);

	static native int posix_spawn_file_actions_destroy(Pointer fileActions);

	static native int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, Pointer path, int flags, int mode);

	static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

	static native int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

	static native int posix_spawnattr_init(Pointer attributes);

	static native int posix_spawnattr_destroy(Pointer attributes);

	static native int posix_spawnattr_setflags(Pointer attributes, short flags);

	static native int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

	static native int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signals);

	static native int sigemptyset(Pointer set);

	static native int sigfillset(Pointer set);

	static native int pipe2(int[] fds, int flags);

	/** Declared with a fixed third argument: glibc reads it as an int on both architectures. */
	static native int fcntl(int fd, int command, int argument);

	static native int close(int fd);

	static native long read(int fd, Pointer buffer, long count);

	static native long write(int fd, Pointer buffer, long count);

	static native int eventfd(int initialValue, int flags);

	static native int epoll_create1(int flags);

	static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

	static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis);

	static native int waitpid(int pid, int[] status, int options);

	static native int kill(int pid, int signal);

	static native int socket(int domain, int type, int protocol);

	static native int setsockopt(int fd, int level, int name, int[] value, int length);

	static native int bind(int fd, Pointer address, int length);

	static native int listen(int fd, int backlog);

	static native int socketpair(int domain, int type, int protocol, int[] fds);

	/**
	 * {@code syscall(2)}, declared with four fixed arguments: glibc's implementation reads them from
	 * the argument registers, which is where a variadic call puts them on x86_64 and aarch64 Linux.
	 */
	static native long syscall(long number, long a1, long a2, long a3, long a4);

	/**
	 * A function of the C library that older versions lack.
	 * @param name the function's name
	 * @return the function, or {@code null} if this C library has no such function
	 */
	static @Nullable Function optionalFunction(String name) {
		try {
			return LIBC.getFunction(name);
		}
		catch (UnsatisfiedLinkError ex) {
			return null;
		}
	}

	/**
	 * The error of the last call on this thread that failed.
	 * @return {@code errno}
	 */
	static int errno() {
		return Native.getLastError();
	}

	/**
	 * Describes an error number: {@code "No such file or directory (errno 2)"}.
	 */
	static String describe(int errno) {
		return strerror(errno) + " (errno " + errno + ")";
	}

	/**
	 * A NUL-terminated copy of a string, encoded as the OS expects file names.
	 */
	static Memory cString(String value) {
		byte[] bytes = value.getBytes(NATIVE_CHARSET);
		Memory memory = new Memory(bytes.length + 1L);
		memory.write(0, bytes, 0, bytes.length);
		memory.setByte(bytes.length, (byte) 0);
		return memory;
	}

	private static Charset nativeCharset() {
		String name = System.getProperty("sun.jnu.encoding");
		try {
			return (name != null) ? Charset.forName(name) : Charset.defaultCharset();
		}
		catch (RuntimeException ex) {
			return StandardCharsets.UTF_8;
		}
	}

}
