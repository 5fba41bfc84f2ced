package io.cfork.autoconfigure.worker;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Makes Jetty's connector accept on the {@link InheritedSocket} ({@code inheritChannel}) instead
 * of binding {@code server.port}. A factory customizer rather than a server customizer bean: those
 * would reach the management server's child context too, and only the application's own server
 * may take the socket.
 */
class InheritedSocketJettyCustomizer implements WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory>, Ordered {

	private final InheritedSocket socket;

	InheritedSocketJettyCustomizer(InheritedSocket socket) {
		this.socket = socket;
	}

	@Override
	public void customize(ConfigurableJettyWebServerFactory factory) {
		this.socket.report("Jetty");
		if (this.socket.isAvailable()) {
			factory.addServerCustomizers(InheritedSocketJettyCustomizer::inheritChannel);
		}
	}

	private static void inheritChannel(Server server) {
		for (Connector connector : server.getConnectors()) {
			if (connector instanceof ServerConnector serverConnector) {
				serverConnector.setInheritChannel(true);
				// One socket to inherit: the first connector takes it.
				return;
			}
		}
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
