package io.cfork.autoconfigure.worker;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.UUID;

import io.cfork.worker.NotifyReceiver;
import io.cfork.worker.SdNotify;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CforkWorkerAutoConfiguration}: sd_notify datagrams on a real socket, and the
 * inherited socket handed to Tomcat.
 */
@EnabledOnOs(OS.LINUX)
class CforkWorkerAutoConfigurationTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	private static final String AS_WORKER = "CFORK_MASTER_PID=1";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class, CforkWorkerAutoConfiguration.class));

	private final WebApplicationContextRunner webContextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(TomcatServletWebServerAutoConfiguration.class,
				CforkWorkerAutoConfiguration.class));

	private NotifyReceiver receiver;

	@BeforeEach
	void bindTheNotifySocket() {
		this.receiver = NotifyReceiver.bind("@cfork-test-" + UUID.randomUUID());
	}

	@AfterEach
	void closeTheNotifySocket() {
		this.receiver.close();
	}

	@Test
	void backsOffInAnApplicationThatIsNotAWorker() {
		this.contextRunner.withPropertyValues(notifySocket(), "WATCHDOG_USEC=100000").run((context) -> {
			assertThat(context).doesNotHaveBean(SdNotify.class)
				.doesNotHaveBean(WorkerAvailabilityNotifier.class)
				.doesNotHaveBean(WorkerWatchdog.class);
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
		});
		this.webContextRunner.run((context) -> assertThat(context).doesNotHaveBean(InheritedSocket.class));
		assertThat(this.receiver.receive(Duration.ofMillis(300))).isNull();
	}

	@Test
	void backsOffWithoutANotifySocket() {
		this.contextRunner.withPropertyValues(AS_WORKER, "WATCHDOG_USEC=100000")
			.run((context) -> assertThat(context).doesNotHaveBean(SdNotify.class)
				.doesNotHaveBean(WorkerAvailabilityNotifier.class)
				.doesNotHaveBean(WorkerWatchdog.class));
	}

	@Test
	void saysReadyWhenAcceptingTrafficAndStoppingWhenTheContextCloses() {
		this.contextRunner.withPropertyValues(AS_WORKER, notifySocket()).run((context) -> {
			assertThat(context).hasSingleBean(WorkerAvailabilityNotifier.class).doesNotHaveBean(WorkerWatchdog.class);
			AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
			assertThat(this.receiver.receive(WAIT)).isEqualTo("READY=1");
		});
		assertThat(this.receiver.receive(WAIT)).isEqualTo("STOPPING=1");
		assertThat(this.receiver.receive(Duration.ofMillis(300))).isNull();
	}

	@Test
	void feedsTheWatchdogWhileLivenessIsCorrect() {
		this.contextRunner.withPropertyValues(AS_WORKER, notifySocket(), "WATCHDOG_USEC=200000").run((context) -> {
			assertThat(context).hasSingleBean(WorkerWatchdog.class);
			assertThat(context.getBean(WorkerWatchdog.class).isRunning()).isTrue();
			AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
			assertThat(this.receiver.receive(WAIT)).isEqualTo("WATCHDOG=1");
			assertThat(this.receiver.receive(WAIT)).as("every half period").isEqualTo("WATCHDOG=1");
			AvailabilityChangeEvent.publish(context, LivenessState.BROKEN);
			// At most the one already on its way; then the watchdog starves.
			this.receiver.receive(Duration.ofMillis(150));
			assertThat(this.receiver.receive(Duration.ofMillis(400))).isNull();
		});
	}

	@Test
	void feedsNoWatchdogMeantForAnotherProcess() {
		this.contextRunner.withPropertyValues(AS_WORKER, notifySocket(), "WATCHDOG_USEC=100000", "WATCHDOG_PID=1")
			.run((context) -> {
				assertThat(context.getBean(WorkerWatchdog.class).isRunning()).isFalse();
				AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
				assertThat(this.receiver.receive(Duration.ofMillis(300))).isNull();
			});
	}

	@Test
	void usesTheApplicationsOwnNotifier() {
		SdNotify own = SdNotify.from((name) -> null, 1);
		this.contextRunner.withPropertyValues(AS_WORKER, notifySocket())
			.withBean(SdNotify.class, () -> own)
			.run((context) -> {
				assertThat(context).getBean(SdNotify.class).isSameAs(own);
				AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
				assertThat(this.receiver.receive(Duration.ofMillis(300))).isNull();
			});
	}

	@Test
	void tomcatAcceptsOnTheInheritedSocket() {
		this.webContextRunner.withPropertyValues(AS_WORKER)
			.withUserConfiguration(InheritedSocketConfiguration.class)
			.run((context) -> {
				assertThat(context).hasSingleBean(InheritedSocketTomcatCustomizer.class)
					.doesNotHaveBean("cforkInheritedSocketJettyCustomizer");
				assertThat(customizedConnector(context).getProperty("useInheritedChannel")).isEqualTo("true");
			});
	}

	@Test
	void tomcatBindsItsPortWithoutAnInheritedSocket() {
		this.webContextRunner.withPropertyValues(AS_WORKER).run((context) -> {
			assertThat(context.getBean(InheritedSocket.class).isAvailable()).as("stdin of the tests").isFalse();
			assertThat(customizedConnector(context).getProperty("useInheritedChannel")).isNotEqualTo("true");
		});
	}

	@Test
	void backsOffWithoutTomcatOrOutsideAWebApplication() {
		this.webContextRunner.withPropertyValues(AS_WORKER)
			.withClassLoader(new FilteredClassLoader(Tomcat.class))
			.run((context) -> assertThat(context).doesNotHaveBean(InheritedSocketTomcatCustomizer.class));
		this.contextRunner.withPropertyValues(AS_WORKER)
			.run((context) -> assertThat(context).doesNotHaveBean(InheritedSocket.class));
	}

	/** A connector as the application's Tomcat factory would customize it. */
	private static Connector customizedConnector(ApplicationContext context) {
		Connector connector = new Connector();
		for (TomcatConnectorCustomizer customizer : context.getBean(TomcatServletWebServerFactory.class)
			.getConnectorCustomizers()) {
			customizer.customize(connector);
		}
		return connector;
	}

	private String notifySocket() {
		return SdNotify.NOTIFY_SOCKET + "=" + this.receiver.address();
	}

	@Configuration(proxyBeanMethods = false)
	static class InheritedSocketConfiguration {

		@Bean
		InheritedSocket inheritedSocket() {
			return new InheritedSocket(new InetSocketAddress(3001), 1);
		}

	}

}
