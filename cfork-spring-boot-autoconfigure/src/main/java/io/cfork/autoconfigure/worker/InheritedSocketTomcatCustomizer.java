package io.cfork.autoconfigure.worker;

import org.apache.catalina.connector.Connector;

import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Makes Tomcat's connector accept on the {@link InheritedSocket} ({@code useInheritedChannel} of
 * its NIO endpoint) instead of binding {@code server.port}. A factory customizer rather than a
 * connector customizer bean: those would reach the management server's child context too, and
 * only the application's own server may take the socket.
 */
class InheritedSocketTomcatCustomizer implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory>, Ordered {

	private final InheritedSocket socket;

	private final InheritedSocketTomcatRelease release;

	InheritedSocketTomcatCustomizer(InheritedSocket socket, InheritedSocketTomcatRelease release) {
		this.socket = socket;
		this.release = release;
	}

	@Override
	public void customize(ConfigurableTomcatWebServerFactory factory) {
		this.socket.report("Tomcat");
		if (this.socket.isAvailable()) {
			factory.addConnectorCustomizers(this::useInheritedChannel);
		}
	}

	private void useInheritedChannel(Connector connector) {
		// The NIO endpoint's property (Tomcat's default connector); the protocol passes it on.
		if (!connector.setProperty("useInheritedChannel", "true")) {
			throw new IllegalStateException("Tomcat's " + connector.getProtocolHandlerClassName()
					+ " cannot accept on an inherited socket (useInheritedChannel): use the NIO connector");
		}
		this.release.add(connector);
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
