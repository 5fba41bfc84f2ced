package io.cfork;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Values of {@code env} and {@code args} never show in the pool's own log lines or in
 * {@code lastExit.error}; a worker's own output is logged as it printed it. Launch failures are
 * logged once per burst, with a count.
 */
@EnabledOnOs(OS.LINUX)
class SecretsTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@RegisterExtension
	final PoolLogCapture log = new PoolLogCapture();

	private WorkerPoolManager pool;

	@AfterEach
	void stopThePool() {
		Proc.stopAndCheckReaped(this.pool);
	}

	@Test
	void masksEachConfiguredValueLongestFirstAndLeavesShortOnes() {
		Secrets secrets = Secrets.of(List.of("1", "abc", "token-1234", "token-1234-longer"));
		assertThat(secrets.mask("a token-1234-longer and token-1234, abc, 1")).isEqualTo("a ****** and ******, abc, 1");
		assertThat(secrets.mask(null)).isNull();
		assertThat(Secrets.none().mask("token-1234")).isEqualTo("token-1234");
	}

	@Test
	void theExitLineQuotesAWorkersErrorWithoutItsSecretsWhileItsOwnLineIsAsPrinted() {
		start(PoolOptions.builder(WorkerCommand.exec("sh", List.of("-c", "echo \"bad token $API_TOKEN\" >&2; exit 3")))
			.env(Map.of("API_TOKEN", "tok-5e3d2c1b"))
			.limit(1, Duration.ofMinutes(1)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(lines(Level.WARN, "cfork.worker")).anyMatch((line) -> line.endsWith("bad token tok-5e3d2c1b"));
		assertThat(lines(null, WorkerPoolManager.class.getName())).anyMatch((line) -> line.contains("bad token ******"))
			.noneMatch((line) -> line.contains("tok-5e3d2c1b"));
	}

	@Test
	void aBurstOfLaunchFailuresIsLoggedOnceWithACountAndWithoutSecrets(@TempDir Path temp) throws Exception {
		// The launch error quotes the working directory, whose name is also a configured value.
		Path directory = Files.createDirectory(temp.resolve("dir-s3cr3t-77"));
		PoolOptions.Builder options = PoolOptions.builder(WorkerCommand.exec("sleep", List.of("60")))
			.count(40)
			.workingDirectory(directory)
			.env(Map.of("SECRET", "dir-s3cr3t-77"))
			.limit(1, Duration.ofMinutes(1))
			.backoff(Duration.ofMillis(10), Duration.ofMillis(10));
		PoolOptions built = options.build();
		Files.delete(directory);
		this.pool = new WorkerPoolManager(built);
		this.pool.start();
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(this.pool.snapshot().workers()).allSatisfy((worker) -> assertThat(worker.lastExit().error())
			.contains("******")
			.doesNotContain("dir-s3cr3t-77"));
		this.pool.stop();
		List<String> failures = lines(Level.ERROR, WorkerPoolManager.class.getName()).stream()
			.filter((line) -> line.contains("could not be started") || line.startsWith("Failed to launch"))
			.toList();
		assertThat(failures).hasSize(2);
		assertThat(failures.get(0)).startsWith("Worker 0 could not be started: ");
		assertThat(failures.get(1)).matches("Failed to launch \\d+ more workers in the last 5s: .*");
		assertThat(Integer.parseInt(failures.get(1).split(" ")[3])).isGreaterThanOrEqualTo(39);
		assertThat(lines(null, WorkerPoolManager.class.getName()))
			.filteredOn((line) -> line.contains("exited with launch failure"))
			.as("exit lines of launch failures: the burst's first only")
			.hasSize(1);
		assertThat(lines(null, WorkerPoolManager.class.getName())).noneMatch((line) -> line.contains("dir-s3cr3t-77"));
	}

	private void start(PoolOptions.Builder options) {
		this.pool = new WorkerPoolManager(options.build());
		this.pool.start();
	}

	private List<String> lines(Level level, String logger) {
		return this.log.lines(level, logger);
	}

}
