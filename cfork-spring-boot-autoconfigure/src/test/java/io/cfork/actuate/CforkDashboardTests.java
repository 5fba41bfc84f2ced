package io.cfork.actuate;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

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
 * The Grafana dashboard the project ships ({@code grafana/cfork-dashboard.json}) against a real
 * Prometheus scraping a real master: every PromQL expression in it must return data, so that a
 * renamed meter breaks this test rather than the dashboard. Also what the endpoint says each worker
 * costs.
 * <p>
 * Needs the {@code prometheus} binary (Debian's package {@code prometheus}, which {@code .ci/run}
 * installs): without it the test fails, it is never skipped.
 */
// Closed after the class, not cached: its pool's workers must not outlive the tests.
@DirtiesContext
@EnabledOnOs(OS.LINUX)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "cfork.exec=sleep", "cfork.args=3600", "cfork.count=2", "cfork.min-uptime=0s",
				"cfork.shutdown-timeout=3s", "cfork.resources.interval=200ms",
				"management.endpoints.web.exposure.include=cfork,prometheus" })
class CforkDashboardTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	/** What Grafana fills in, as a user with one master would see it over the last minutes. */
	private static final Map<String, String> GRAFANA_VARIABLES = Map.of("$instance", ".*", "$__rate_interval", "1m",
			"$__range", "5m");

	private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)");

	@LocalServerPort
	private int port;

	@Autowired
	private WorkerPoolManager pool;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private Process prometheus;

	private Path prometheusDirectory;

	@AfterEach
	void stopPrometheus() throws Exception {
		if (this.prometheus != null) {
			this.prometheus.destroy();
			if (!this.prometheus.waitFor(10, TimeUnit.SECONDS)) {
				this.prometheus.destroyForcibly().waitFor();
			}
		}
		if (this.prometheusDirectory != null) {
			try (Stream<Path> files = Files.walk(this.prometheusDirectory)) {
				files.sorted(Comparator.reverseOrder()).forEach((file) -> file.toFile().delete());
			}
			assertThat(this.prometheusDirectory).doesNotExist();
		}
	}

	@Test
	void everyQueryOfTheDashboardReturnsDataFromALiveScrape(@TempDir Path temp) throws Exception {
		Map<String, String> queries = dashboardQueries();
		assertThat(queries).as("PromQL expressions in the dashboard").hasSizeGreaterThan(10);
		int prometheusPort = startPrometheus(temp);
		// Something to show in forks, exits, refork latency and lifetime: a worker killed and reforked.
		long pid = this.pool.snapshot().worker(1).orElseThrow().pid();
		ProcessHandle.of(pid).orElseThrow().destroyForcibly();
		await().atMost(WAIT).until(() -> this.pool.snapshot().reforks() == 1 && this.pool.snapshot().alive() == 2);
		for (Map.Entry<String, String> query : queries.entrySet()) {
			await().atMost(WAIT)
				.pollInterval(Duration.ofMillis(500))
				.untilAsserted(() -> assertThat(values(prometheusPort, query.getValue()))
					.as("values of %s (%s)", query.getKey(), query.getValue())
					.isNotEmpty()
					.anyMatch((value) -> !"NaN".equals(value)));
		}
	}

	@Test
	void theEndpointShowsWhatEachWorkerCosts() {
		ActuatorClient actuator = new ActuatorClient(this.port);
		await().atMost(WAIT).untilAsserted(() -> {
			DocumentContext pool = actuator.json("/actuator/cfork");
			List<Number> memory = pool.read("$.workers[*].memory");
			List<Number> cpu = pool.read("$.workers[*].cpu");
			assertThat(memory).hasSize(2).doesNotContainNull().allSatisfy((bytes) -> assertThat(bytes.longValue())
				.isPositive());
			assertThat(cpu).hasSize(2).doesNotContainNull().allSatisfy((percent) -> assertThat(percent.doubleValue())
				.isBetween(0.0, 100.0));
			assertThat(pool.read("$.memory", Long.class)).isEqualTo(memory.stream().mapToLong(Number::longValue).sum());
			assertThat(pool.read("$.cpu", Double.class)).isNotNull();
		});
		WorkerSnapshot worker = this.pool.snapshot().worker(0).orElseThrow();
		assertThat(actuator.json("/actuator/cfork/0").read("$", Map.class)).containsKeys("cpu", "memory");
		assertThat(worker.memory()).isNotNull();
	}

	/**
	 * Every expression of the dashboard, by where it is, with Grafana's variables filled in. A
	 * variable's {@code label_values(metric, label)} becomes a query for that metric with that label.
	 */
	private static Map<String, String> dashboardQueries() throws IOException {
		DocumentContext dashboard = JsonPath.parse(Files.readString(dashboardFile()));
		Map<String, String> queries = new LinkedHashMap<>();
		List<Map<String, Object>> panels = dashboard.read("$..panels[*]");
		for (Map<String, Object> panel : panels) {
			// Rows hold panels, not targets.
			List<String> expressions = panel.containsKey("targets") ? JsonPath.parse(panel).read("$.targets[*].expr")
					: List.of();
			for (int i = 0; i < expressions.size(); i++) {
				queries.put("panel '" + panel.get("title") + "' target " + i, fill(expressions.get(i)));
			}
		}
		List<String> variables = dashboard.read("$.templating.list[?(@.type == 'query')].definition");
		for (String variable : variables) {
			Matcher matcher = LABEL_VALUES.matcher(variable);
			assertThat(matcher.matches()).as("variable query %s", variable).isTrue();
			queries.put("variable " + variable, matcher.group(1) + "{" + matcher.group(2) + "!=\"\"}");
		}
		return queries;
	}

	private static String fill(String expression) {
		String filled = expression;
		for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
			filled = filled.replace(variable.getKey(), variable.getValue());
		}
		assertThat(filled).as("a Grafana variable this test does not know in %s", expression).doesNotContain("$");
		return filled;
	}

	private static Path dashboardFile() {
		for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
			Path dashboard = dir.resolve("grafana/cfork-dashboard.json");
			if (Files.isRegularFile(dashboard)) {
				return dashboard;
			}
		}
		throw new IllegalStateException("grafana/cfork-dashboard.json not found above " + Path.of("").toAbsolutePath());
	}

	private int startPrometheus(Path temp) throws Exception {
		Path binary = onPath("prometheus");
		assertThat(binary).as("Prometheus, needed by this test: apt-get install prometheus (.ci/run installs it)")
			.isNotNull();
		int prometheusPort;
		try (ServerSocket socket = new ServerSocket(0)) {
			prometheusPort = socket.getLocalPort();
		}
		this.prometheusDirectory = Files.createDirectory(temp.resolve("prometheus"));
		Path config = Files.writeString(this.prometheusDirectory.resolve("prometheus.yml"), """
				global:
				  scrape_interval: 1s
				  evaluation_interval: 1s
				scrape_configs:
				  - job_name: cfork
				    metrics_path: /actuator/prometheus
				    static_configs:
				      - targets: ['127.0.0.1:%d']
				""".formatted(this.port));
		this.prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
				"--storage.tsdb.path=" + this.prometheusDirectory.resolve("data"),
				"--web.listen-address=127.0.0.1:" + prometheusPort, "--log.level=warn")
			.redirectErrorStream(true)
			.redirectOutput(this.prometheusDirectory.resolve("prometheus.log").toFile())
			.start();
		await().atMost(WAIT).untilAsserted(() -> {
			assertThat(this.prometheus.isAlive()).as("prometheus is running (see its log: %s)",
					Files.readString(this.prometheusDirectory.resolve("prometheus.log")))
				.isTrue();
			assertThat(values(prometheusPort, "up{job=\"cfork\"}")).containsExactly("1");
		});
		return prometheusPort;
	}

	/**
	 * The values of an instant query, as Prometheus writes them ({@code "NaN"} included).
	 */
	private List<String> values(int prometheusPort, String query) {
		try {
			HttpResponse<String> response = this.http.send(HttpRequest
				.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/query?query="
						+ URLEncoder.encode(query, StandardCharsets.UTF_8)))
				.timeout(Duration.ofSeconds(10))
				.build(), HttpResponse.BodyHandlers.ofString());
			assertThat(response.statusCode()).as("%s: %s", query, response.body()).isEqualTo(200);
			return new ArrayList<>(JsonPath.parse(response.body()).read("$.data.result[*].value[1]"));
		}
		catch (IOException ex) {
			return List.of();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static Path onPath(String name) {
		for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
			Path candidate = Path.of(dir, name);
			if (Files.isExecutable(candidate)) {
				return candidate;
			}
		}
		return null;
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
