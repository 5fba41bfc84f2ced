package io.cfork.actuate;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.cfork.WorkerPoolManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code cfork} endpoint's JSON keeps the contract's shape whatever the application's own
 * Jackson settings: here snake_case names and no nulls, which the application's mapper applies.
 */
// Closed after the class, not cached: its pool's workers must not outlive the tests.
@DirtiesContext
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "spring.jackson.property-naming-strategy=SNAKE_CASE",
				"spring.jackson.default-property-inclusion=non_null", "cfork.exec=sleep", "cfork.args=3600",
				"cfork.count=2", "cfork.min-uptime=0s", "cfork.shutdown-timeout=3s",
				"management.endpoints.web.exposure.include=cfork", "management.endpoint.cfork.access=unrestricted" })
class CforkEndpointJacksonSettingsWebTests {

	private static final List<String> POOL = List.of("status", "desired", "alive", "ready", "reforks", "limit",
			"command", "env", "listen", "reload", "workers", "cpu", "memory");

	private static final List<String> WORKER = List.of("index", "id", "pid", "state", "startedAt", "readyAt", "uptime",
			"restarts", "lastExit", "crashLoop", "probeFailures", "generation", "next", "cpu", "memory",
			"status", "stopping", "stopped");

	private static final List<String> EXIT = List.of("code", "signal", "unexpected", "at", "error", "reason");

	@LocalServerPort
	private int port;

	@Autowired
	private WorkerPoolManager pool;

	@Autowired
	private JsonMapper applicationJsonMapper;

	private ActuatorClient actuator;

	@BeforeEach
	void twoWorkersAlive() {
		this.actuator = new ActuatorClient(this.port);
		await().atMost(Duration.ofSeconds(20)).until(() -> this.pool.snapshot().alive() == 2);
	}

	@Test
	void theApplicationsMapperDoesUseTheSettings() {
		PoolDescriptor.Worker worker = new CforkEndpoint(this.pool, Show.NEVER).worker(0);
		assertThat(this.applicationJsonMapper.writeValueAsString(worker)).contains("\"started_at\"")
			.doesNotContain("\"startedAt\"");
	}

	@Test
	void poolKeepsTheContractsNamesAndNulls() {
		DocumentContext pool = this.actuator.json("/actuator/cfork");
		assertThat(pool.read("$", Map.class).keySet()).containsExactlyElementsOf(POOL);
		assertThat(pool.read("$.limit", Map.class).keySet()).containsExactly("limit", "duration", "reached");
		Map<String, Object> worker = pool.read("$.workers[0]");
		assertThat(worker.keySet()).containsExactlyElementsOf(WORKER);
		assertThat(worker).containsEntry("lastExit", null);
	}

	@Test
	@SuppressWarnings("unchecked")
	void aWorkerKeepsTheContractsNamesAndNulls() {
		long pid = this.pool.snapshot().worker(1).orElseThrow().pid();
		ProcessHandle.of(pid).orElseThrow().destroyForcibly();
		await().atMost(Duration.ofSeconds(20)).until(() -> {
			Long current = this.actuator.json("/actuator/cfork/1").read("$.pid", Long.class);
			return current != null && current != pid;
		});
		Map<String, Object> worker = this.actuator.json("/actuator/cfork/1").read("$");
		assertThat(worker.keySet()).containsExactlyElementsOf(WORKER);
		Map<String, Object> exit = (Map<String, Object>) worker.get("lastExit");
		assertThat(exit.keySet()).containsExactlyElementsOf(EXIT);
		assertThat(exit).containsEntry("signal", "SIGKILL").containsEntry("error", null);
	}

	@Test
	void errorsKeepTheirShape() {
		HttpResponse<String> response = this.actuator.post("/actuator/cfork", "{}");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(JsonPath.parse(response.body()).read("$", Map.class))
			.containsExactly(Map.entry("error", "count is required: POST {\"count\": N} with N >= 1"));
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
