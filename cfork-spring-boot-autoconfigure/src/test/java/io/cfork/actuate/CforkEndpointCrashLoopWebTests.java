package io.cfork.actuate;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker that crashes at once, seen over HTTP: bounded reforks, then GAVE_UP, health 503, and a
 * restart that resumes the pool. Values are shown ({@code show-values=always}).
 */
// Closed after the class, not cached: its pool's workers must not outlive the tests.
@DirtiesContext
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "cfork.exec=sh", "cfork.args=-c,exit 3", "cfork.count=1", "cfork.limit=3",
				"cfork.duration=1m", "cfork.backoff.initial=10ms", "cfork.backoff.max=40ms",
				"cfork.env.API_TOKEN=s3cr3t", "management.endpoints.web.exposure.include=cfork,health,prometheus",
				"management.endpoint.cfork.access=unrestricted", "management.endpoint.cfork.show-values=always",
				"management.endpoint.health.show-details=always" })
class CforkEndpointCrashLoopWebTests {

	@LocalServerPort
	private int port;

	@Test
	void givesUpAfterTheLimitAndResumesOnRestart() {
		ActuatorClient actuator = new ActuatorClient(this.port);
		await().atMost(Duration.ofSeconds(20))
			.until(() -> "GAVE_UP".equals(actuator.json("/actuator/cfork").read("$.status")));
		DocumentContext pool = actuator.json("/actuator/cfork");
		assertThat(pool.read("$.limit.reached", Boolean.class)).isTrue();
		assertThat(pool.read("$.reforks", Long.class)).isEqualTo(3);
		assertThat(pool.read("$.alive", Integer.class)).isZero();
		assertThat(pool.read("$.workers[0].state", String.class)).isEqualTo("EXITED");
		assertThat(pool.read("$.workers[0].lastExit.code", Integer.class)).isEqualTo(3);
		assertThat(pool.read("$.command", List.class)).containsExactly("sh", "-c", "exit 3");
		assertThat(pool.read("$.env.API_TOKEN", String.class)).isEqualTo("s3cr3t");

		HttpResponse<String> health = actuator.get("/actuator/health");
		assertThat(health.statusCode()).isEqualTo(503);
		assertThat(JsonPath.parse(health.body()).read("$.components.cfork.status", String.class)).isEqualTo("DOWN");
		String prometheus = actuator.get("/actuator/prometheus").body();
		assertThat(prometheus).contains("cfork_refork_limit_reached_total 1.0",
				"cfork_worker_forks_total{cause=\"refork\"} 3.0", "cfork_worker_forks_total{cause=\"start\"} 1.0",
				"cfork_worker_exits_total{code=\"3\",unexpected=\"true\"} 4.0");

		// A restart clears the limit: the worker is forked again, crashes again, and the pool gives
		// up a second time after three more reforks.
		assertThat(actuator.post("/actuator/cfork/0", "").statusCode()).isEqualTo(202);
		await().atMost(Duration.ofSeconds(20))
			.until(() -> actuator.get("/actuator/prometheus").body().contains("cfork_refork_limit_reached_total 2.0"));
		assertThat(actuator.get("/actuator/prometheus").body()).contains(
				"cfork_worker_forks_total{cause=\"restart\"} 1.0", "cfork_worker_forks_total{cause=\"refork\"} 6.0");
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
