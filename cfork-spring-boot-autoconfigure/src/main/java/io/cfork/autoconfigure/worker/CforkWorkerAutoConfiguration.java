package io.cfork.autoconfigure.worker;

import io.cfork.WorkerEnvironment;
import io.cfork.worker.SdNotify;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.server.ServerConnector;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of an application that runs as a worker of a pool ({@code CFORK_MASTER_PID}
 * is set; the same application may be the master, whose pool then stays off here). With no code:
 * <ul>
 * <li>when the pool gave it a {@code NOTIFY_SOCKET} ({@code cfork.readiness.type=notify}), it sends
 * {@code READY=1} once its readiness state is {@code ACCEPTING_TRAFFIC}, {@code STOPPING=1} when it
 * shuts down, and, under {@code cfork.liveness.type=watchdog} ({@code WATCHDOG_USEC}),
 * {@code WATCHDOG=1} while its liveness state is {@code CORRECT};</li>
 * <li>when the pool handed it a listening socket on stdin ({@code cfork.listen} and
 * {@code cfork.listen-stdin}), its embedded Tomcat or Jetty accepts on that socket instead of
 * binding {@code server.port}.</li>
 * </ul>
 */
@AutoConfiguration
@ConditionalOnProperty(name = WorkerEnvironment.MASTER_PID)
public final class CforkWorkerAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = SdNotify.NOTIFY_SOCKET)
	static class NotifyConfiguration {

		@Bean
		@ConditionalOnMissingBean
		SdNotify cforkWorkerNotify(Environment environment) {
			return SdNotify.from(environment::getProperty, ProcessHandle.current().pid());
		}

		@Bean
		WorkerAvailabilityNotifier cforkWorkerAvailabilityNotifier(SdNotify cforkWorkerNotify) {
			return new WorkerAvailabilityNotifier(cforkWorkerNotify);
		}

		@Bean
		@ConditionalOnProperty(name = SdNotify.WATCHDOG_USEC)
		WorkerWatchdog cforkWorkerWatchdog(SdNotify cforkWorkerNotify,
				ObjectProvider<ApplicationAvailability> availability) {
			return new WorkerWatchdog(cforkWorkerNotify, availability);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication
	static class InheritedSocketConfiguration {

		@Bean
		@ConditionalOnMissingBean
		InheritedSocket cforkInheritedSocket(Environment environment) {
			return InheritedSocket.detect(environment::getProperty, ProcessHandle.current().pid());
		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass({ Tomcat.class, ConfigurableTomcatWebServerFactory.class })
		static class TomcatConfiguration {

			@Bean
			InheritedSocketTomcatRelease cforkInheritedSocketTomcatRelease() {
				return new InheritedSocketTomcatRelease();
			}

			@Bean
			InheritedSocketTomcatCustomizer cforkInheritedSocketTomcatCustomizer(InheritedSocket socket,
					InheritedSocketTomcatRelease cforkInheritedSocketTomcatRelease) {
				return new InheritedSocketTomcatCustomizer(socket, cforkInheritedSocketTomcatRelease);
			}

		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass({ ServerConnector.class, ConfigurableJettyWebServerFactory.class })
		static class JettyConfiguration {

			@Bean
			InheritedSocketJettyCustomizer cforkInheritedSocketJettyCustomizer(InheritedSocket socket) {
				return new InheritedSocketJettyCustomizer(socket);
			}

		}

	}

}
