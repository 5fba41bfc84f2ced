package io.cfork.workers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A Java worker that serves on the socket it inherited as stdin ({@code System.inheritedChannel()},
 * as Tomcat's {@code useInheritedChannel} reads it): answers each connection with its pid and
 * closes it.
 */
public final class InheritedChannelWorker {

	private InheritedChannelWorker() {
	}

	public static void main(String[] args) throws IOException {
		Channel inherited = System.inheritedChannel();
		if (!(inherited instanceof ServerSocketChannel server)) {
			System.err.println("no inherited server socket: " + inherited);
			System.exit(3);
			return;
		}
		System.out.println("accepting on " + server.getLocalAddress());
		byte[] body = ("java pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
		byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
			.getBytes(StandardCharsets.UTF_8);
		while (true) {
			try (SocketChannel connection = server.accept()) {
				connection.read(ByteBuffer.allocate(4096));
				connection.write(ByteBuffer.wrap(head));
				connection.write(ByteBuffer.wrap(body));
			}
		}
	}

}
