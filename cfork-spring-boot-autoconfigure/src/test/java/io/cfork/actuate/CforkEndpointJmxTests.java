package io.cfork.actuate;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import io.cfork.Proc;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import io.cfork.autoconfigure.CforkAutoConfiguration;
import io.cfork.autoconfigure.CforkEndpointAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.jmx.JmxEndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jmx.JmxAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code cfork} endpoint over JMX, in an application without a web server, with real workers:
 * read through the platform MBean server as a JMX console would.
 */
@EnabledOnOs(OS.LINUX)
class CforkEndpointJmxTests {

	private static final ObjectName CFORK = objectName("org.springframework.boot:type=Endpoint,name=Cfork");

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JmxAutoConfiguration.class, EndpointAutoConfiguration.class,
				JmxEndpointAutoConfiguration.class, CforkAutoConfiguration.class,
				CforkEndpointAutoConfiguration.class))
		.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=cfork",
				"cfork.exec=sleep", "cfork.args=3600", "cfork.count=2", "cfork.env.API_TOKEN=s3cr3t",
				"cfork.min-uptime=0s", "cfork.shutdown-timeout=3s");

	private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

	@AfterEach
	void reap() {
		assertThat(this.server.isRegistered(CFORK)).as("MBean left after the context closed").isFalse();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void readsThePoolAndEachWorkerThroughTheMBeanServer() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(CforkEndpoint.class).doesNotHaveBean(CforkEndpointWebExtension.class);
			WorkerPoolManager pool = context.getBean(WorkerPoolManager.class);
			await().atMost(Duration.ofSeconds(20)).until(() -> "RUNNING".equals(pool.snapshot().status().name()));
			assertThat(operations()).as("read-only by default").containsOnly("pool", "worker");

			Map<String, Object> described = invoke("pool");
			assertThat(described).containsEntry("status", "RUNNING")
				.containsEntry("desired", 2)
				.containsEntry("alive", 2)
				.containsEntry("command", List.of("sleep", "******"))
				.containsEntry("env", Map.of("API_TOKEN", "******"));
			List<Map<String, Object>> workers = (List<Map<String, Object>>) described.get("workers");
			assertThat(workers).hasSize(2);
			for (WorkerSnapshot worker : pool.snapshot().workers()) {
				Map<String, Object> shown = workers.get(worker.index());
				assertThat(shown).containsEntry("index", worker.index()).containsEntry("state", "RUNNING");
				assertThat(((Number) shown.get("pid")).longValue()).isEqualTo(worker.pid());
				assertThat(ProcessHandle.of(worker.pid())).isPresent();
			}

			Map<String, Object> second = invoke("worker", 1);
			assertThat(second).containsEntry("index", 1).containsEntry("lastExit", null);
			assertThat(((Number) second.get("pid")).longValue())
				.isEqualTo(pool.snapshot().worker(1).orElseThrow().pid());
			assertThat(invoke("worker", 7)).isNull();
		});
	}

	@Test
	void restartsAndScalesWhenAccessIsUnrestricted() {
		this.contextRunner.withPropertyValues("management.endpoint.cfork.access=UNRESTRICTED").run((context) -> {
			WorkerPoolManager pool = context.getBean(WorkerPoolManager.class);
			assertThat(operations()).containsOnly("pool", "worker", "restart", "scale");
			long pid = pool.snapshot().worker(0).orElseThrow().pid();
			// The restart answers at once: the replacement takes over once ready, then the old one stops.
			assertThat(invoke("restart", 0)).containsEntry("index", 0);
			await().atMost(Duration.ofSeconds(20)).until(() -> pool.snapshot().worker(0).orElseThrow().pid() != pid
					&& ProcessHandle.of(pid).isEmpty() && pool.snapshot().worker(0).orElseThrow().lastExit() != null);
			assertThat(pool.snapshot().worker(0).orElseThrow().lastExit()).satisfies((exit) -> {
				assertThat(exit.signal()).isEqualTo("SIGTERM");
				assertThat(exit.unexpected()).isFalse();
			});
			assertThat(invoke("scale", 3)).containsEntry("desired", 3);
			await().atMost(Duration.ofSeconds(20)).until(() -> pool.snapshot().alive() == 3);
		});
	}

	private List<String> operations() throws Exception {
		return Arrays.stream(this.server.getMBeanInfo(CFORK).getOperations())
			.map(MBeanOperationInfo::getName)
			.toList();
	}

	@SuppressWarnings("unchecked")
	private Map<String, Object> invoke(String operation, Object... arguments) throws Exception {
		MBeanOperationInfo info = Arrays.stream(this.server.getMBeanInfo(CFORK).getOperations())
			.filter((candidate) -> candidate.getName().equals(operation))
			.findFirst()
			.orElseThrow();
		String[] signature = Arrays.stream(info.getSignature()).map((parameter) -> parameter.getType())
			.toArray(String[]::new);
		return (Map<String, Object>) this.server.invoke(CFORK, operation, arguments, signature);
	}

	private static ObjectName objectName(String name) {
		try {
			return new ObjectName(name);
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
