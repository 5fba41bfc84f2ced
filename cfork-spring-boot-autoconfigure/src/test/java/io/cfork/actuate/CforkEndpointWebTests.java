package io.cfork.actuate;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code cfork} endpoint, health and metrics over real HTTP, with real worker processes.
 */
// Closed after the class, not cached: its pool's workers must not outlive the tests.
@DirtiesContext
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "cfork.exec=sleep", "cfork.args=3600", "cfork.count=2", "cfork.env.API_TOKEN=s3cr3t",
				"cfork.min-uptime=0s", "cfork.shutdown-timeout=3s",
				"management.endpoints.web.exposure.include=cfork,health,metrics,prometheus",
				"management.endpoint.cfork.access=unrestricted", "management.endpoint.health.show-details=always" })
class CforkEndpointWebTests {

	@LocalServerPort
	private int port;

	@Autowired
	private io.cfork.WorkerPoolManager pool;

	private ActuatorClient actuator;

	@BeforeEach
	void backToTwoRunningWorkers() {
		this.actuator = new ActuatorClient(this.port);
		this.pool.scale(2).join();
		await().atMost(Duration.ofSeconds(20)).until(() -> this.pool.snapshot().alive() == 2
				&& this.pool.snapshot().workers().size() == 2 && "RUNNING".equals(status()));
	}

	@Test
	void showsThePoolInTheContractsShape() {
		DocumentContext pool = this.actuator.json("/actuator/cfork");
		assertThat(pool.read("$.status", String.class)).isEqualTo("RUNNING");
		assertThat(pool.read("$.desired", Integer.class)).isEqualTo(2);
		assertThat(pool.read("$.alive", Integer.class)).isEqualTo(2);
		assertThat(pool.read("$.reforks", Long.class)).isNotNegative();
		assertThat(pool.read("$.limit", Map.class)).containsEntry("limit", 60)
			.containsEntry("duration", "PT1M")
			.containsEntry("reached", false);
		assertThat(pool.read("$.command", List.class)).containsExactly("sleep", "******");
		assertThat(pool.read("$.env", Map.class)).containsExactly(Map.entry("API_TOKEN", "******"));
		assertThat(pool.jsonString()).doesNotContain("s3cr3t").doesNotContain("3600");
		Map<String, Object> worker = pool.read("$.workers[0]");
		assertThat(worker).containsKeys("index", "id", "pid", "state", "startedAt", "uptime", "restarts", "lastExit");
		assertThat(worker.get("index")).isEqualTo(0);
		assertThat(worker.get("state")).isEqualTo("RUNNING");
		assertThat(ProcessHandle.of(((Number) worker.get("pid")).longValue())).isPresent();
		assertThat(Instant.parse((String) worker.get("startedAt"))).isBefore(Instant.now());
		assertThat(Duration.parse((String) worker.get("uptime")).isNegative()).isFalse();
	}

	@Test
	void showsOneWorkerAnd404ForAnUnknownIndex() {
		DocumentContext worker = this.actuator.json("/actuator/cfork/1");
		assertThat(worker.read("$.index", Integer.class)).isEqualTo(1);
		assertThat(worker.read("$.pid", Long.class)).isEqualTo(this.pool.snapshot().worker(1).orElseThrow().pid());
		assertThat(this.actuator.get("/actuator/cfork/7").statusCode()).isEqualTo(404);
	}

	@Test
	void sigkillIsReforkedInTheSameSlotAndCounted() {
		double reforkLatencies = metric("cfork.refork.latency", "COUNT");
		long reforks = this.pool.snapshot().reforks();
		long pid = this.actuator.json("/actuator/cfork/1").read("$.pid", Long.class);
		ProcessHandle.of(pid).orElseThrow().destroyForcibly();
		await().atMost(Duration.ofSeconds(20)).until(() -> {
			DocumentContext worker = this.actuator.json("/actuator/cfork/1");
			Long current = worker.read("$.pid", Long.class);
			return current != null && current != pid && "RUNNING".equals(worker.read("$.state"));
		});
		DocumentContext worker = this.actuator.json("/actuator/cfork/1");
		assertThat(worker.read("$.lastExit", Map.class)).containsEntry("code", 137)
			.containsEntry("signal", "SIGKILL")
			.containsEntry("unexpected", true);
		assertThat(this.actuator.json("/actuator/cfork").read("$.reforks", Long.class)).isEqualTo(reforks + 1);
		assertThat(metric("cfork.refork.latency", "COUNT")).isEqualTo(reforkLatencies + 1);
		assertThat(metric("cfork.worker.exits?tag=unexpected:true&tag=code:137", "COUNT")).isPositive();
	}

	@Test
	void restartsAWorkerGracefully() {
		double restarts = metric("cfork.worker.forks?tag=cause:restart", "COUNT");
		long reforks = this.pool.snapshot().reforks();
		long pid = this.actuator.json("/actuator/cfork/0").read("$.pid", Long.class);
		HttpResponse<String> response = this.actuator.post("/actuator/cfork/0", "");
		// 202 at once; start-first, the replacement takes over once ready, then the old one stops.
		assertThat(response.statusCode()).isEqualTo(202);
		assertThat(com.jayway.jsonpath.JsonPath.parse(response.body()).read("$.index", Integer.class)).isZero();
		await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).isEmpty()
				&& this.actuator.json("/actuator/cfork/0").read("$.pid", Long.class) != pid);
		DocumentContext restarted = this.actuator.json("/actuator/cfork/0");
		assertThat(restarted.read("$.next", Map.class)).isNull();
		assertThat(restarted.read("$.lastExit", Map.class)).containsEntry("code", 143)
			.containsEntry("signal", "SIGTERM")
			.containsEntry("unexpected", false)
			.containsEntry("reason", "restart");
		assertThat(this.pool.snapshot().reforks()).as("a restart is not a refork").isEqualTo(reforks);
		assertThat(metric("cfork.worker.forks?tag=cause:restart", "COUNT")).isEqualTo(restarts + 1);
		assertThat(this.actuator.post("/actuator/cfork/9", "").statusCode()).isEqualTo(404);
	}

	@Test
	void scalesUpAndDown() {
		HttpResponse<String> up = this.actuator.post("/actuator/cfork", "{\"count\": 4}");
		assertThat(up.statusCode()).isEqualTo(200);
		assertThat(com.jayway.jsonpath.JsonPath.parse(up.body()).read("$.desired", Integer.class)).isEqualTo(4);
		await().atMost(Duration.ofSeconds(20)).until(() -> this.pool.snapshot().alive() == 4);
		assertThat(metric("cfork.workers.desired", "VALUE")).isEqualTo(4);
		List<Long> removed = this.pool.snapshot().workers().subList(1, 4).stream().map((w) -> w.pid()).toList();
		double expectedExits = metric("cfork.worker.exits?tag=unexpected:false", "COUNT");
		long reforks = this.pool.snapshot().reforks();
		assertThat(this.actuator.post("/actuator/cfork", "{\"count\": 1}").statusCode()).isEqualTo(200);
		await().atMost(Duration.ofSeconds(20)).until(() -> this.pool.snapshot().workers().size() == 1);
		assertThat(removed).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty());
		assertThat(this.actuator.json("/actuator/cfork").read("$.alive", Integer.class)).isOne();
		assertThat(this.pool.snapshot().reforks()).as("scaled-down workers are not reforked").isEqualTo(reforks);
		assertThat(metric("cfork.worker.exits?tag=unexpected:false", "COUNT")).isEqualTo(expectedExits + 3);
		assertThat(metric("cfork.workers.alive", "VALUE")).isOne();
	}

	@Test
	void refusesBadScaleBodiesAndChangesNothing() {
		assertThat(this.actuator.post("/actuator/cfork", "{\"count\": 0}")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(response.body()).contains("count must be at least 1");
		});
		assertThat(this.actuator.post("/actuator/cfork", "{}")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(JsonPath.parse(response.body()).read("$.error", String.class))
				.isEqualTo("count is required: POST {\"count\": N} with N >= 1");
		});
		assertThat(this.actuator.post("/actuator/cfork", "{\"count\": \"many\"}")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(JsonPath.parse(response.body()).read("$.error", String.class))
				.isEqualTo("count must be a whole number: POST {\"count\": N} with N >= 1, was 'many'");
		});
		assertThat(this.actuator.post("/actuator/cfork", "{\"count\": 2.5}")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(JsonPath.parse(response.body()).read("$.error", String.class)).contains("whole number");
		});
		// No machine allows two billion threads: refused up front, naming the limit.
		assertThat(this.actuator.post("/actuator/cfork", "{\"count\": 2000000000}")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(JsonPath.parse(response.body()).read("$.error", String.class))
				.contains("'count' (2000000000)", "more workers need", "kept for the master's own threads", " is ");
		});
		assertThat(this.actuator.post("/actuator/cfork/first", "")).satisfies((response) -> {
			assertThat(response.statusCode()).isEqualTo(400);
			assertThat(JsonPath.parse(response.body()).read("$.error", String.class)).contains("slot index");
		});
		assertThat(this.pool.snapshot().desired()).isEqualTo(2);
		assertThat(this.pool.snapshot().workers()).hasSize(2);
	}

	@Test
	void reportsHealthWithDetails() {
		HttpResponse<String> response = this.actuator.get("/actuator/health");
		assertThat(response.statusCode()).isEqualTo(200);
		DocumentContext health = com.jayway.jsonpath.JsonPath.parse(response.body());
		assertThat(health.read("$.components.cfork.status", String.class)).isEqualTo("UP");
		assertThat(health.read("$.components.cfork.details", Map.class)).containsEntry("desired", 2)
			.containsEntry("alive", 2)
			.containsEntry("status", "RUNNING")
			.containsKey("reforks");
	}

	@Test
	void exportsEveryMeterToPrometheus() {
		String text = this.actuator.get("/actuator/prometheus").body();
		assertThat(text).contains("cfork_workers_alive 2.0", "cfork_workers_desired 2.0",
				"cfork_workers{state=\"running\"} 2.0", "cfork_worker_forks_total{cause=\"start\"} 2.0",
				"cfork_worker_forks_total{cause=\"refork\"}", "cfork_refork_limit_reached_total 0.0",
				"cfork_worker_lifetime_seconds_count", "cfork_refork_latency_seconds_count");
	}

	private String status() {
		return this.actuator.json("/actuator/cfork").read("$.status");
	}

	private double metric(String nameAndTags, String statistic) {
		HttpResponse<String> response = this.actuator.get("/actuator/metrics/" + nameAndTags);
		if (response.statusCode() == 404) {
			return 0;
		}
		List<Double> values = com.jayway.jsonpath.JsonPath.parse(response.body())
			.read("$.measurements[?(@.statistic == '" + statistic + "')].value");
		return values.get(0);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
