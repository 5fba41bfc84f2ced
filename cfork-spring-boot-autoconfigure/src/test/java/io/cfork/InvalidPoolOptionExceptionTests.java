package io.cfork;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Tests for {@link InvalidPoolOptionException}, and for the messages the core builds with it: they
 * name options as the core knows them ({@code count}), never as a Spring property
 * ({@code cfork.count}).
 */
class InvalidPoolOptionExceptionTests {

	private static final WorkerCommand SLEEP = WorkerCommand.exec("sleep", List.of("1"));

	@Test
	void fixNamesEveryOptionBareByDefault() {
		InvalidPoolOptionException ex = new InvalidPoolOptionException("limit", 0, "must be at least 1",
				"Set {limit} to 1 or more; to never refork, set {refork}=false instead.");
		assertThat(ex.getFix()).isEqualTo("Set limit to 1 or more; to never refork, set refork=false instead.");
		assertThat(ex.getMessage())
			.isEqualTo("Invalid pool option 'limit' (0): must be at least 1. Set limit to 1 or more; to never refork, "
					+ "set refork=false instead.");
	}

	@Test
	void fixNamesEveryOptionThroughTheGivenFunction() {
		InvalidPoolOptionException ex = new InvalidPoolOptionException("backoff.max", "1s", "must not be less",
				"Set {backoff.max} to at least {backoff.initial}, or add its folder to {env.PATH}.");
		UnaryOperator<String> property = (option) -> "app.pool." + option;
		assertThat(ex.getFix(property)).isEqualTo(
				"Set app.pool.backoff.max to at least app.pool.backoff.initial, or add its folder to app.pool.env.PATH.");
		assertThat(ex.getOption()).isEqualTo("backoff.max");
		assertThat(ex.getValue()).isEqualTo("1s");
		assertThat(ex.getProblem()).isEqualTo("must not be less");
	}

	@Test
	void leavesOtherBracesAndReplacementCharactersAlone() {
		InvalidPoolOptionException ex = new InvalidPoolOptionException("exec", "x", "bad",
				"Write {} or {1}; set {exec}.");
		assertThat(ex.getFix((option) -> "$" + option + "\\")).isEqualTo("Write {} or {1}; set $exec\\.");
	}

	@Test
	void coreMessagesNameOptionsWithoutASpringPrefix(@TempDir Path directory) throws Exception {
		Path notExecutable = Files.writeString(directory.resolve("worker.sh"), "echo hi\n");
		List<InvalidPoolOptionException> failures = List.of(
				fail(PoolOptions.builder(SLEEP).count(0)),
				fail(PoolOptions.builder(SLEEP).limit(0, Duration.ofMinutes(1))),
				fail(PoolOptions.builder(SLEEP).limit(1, Duration.ZERO)),
				fail(PoolOptions.builder(SLEEP).backoff(Duration.ofSeconds(-1), Duration.ofSeconds(1))),
				fail(PoolOptions.builder(SLEEP).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))),
				fail(PoolOptions.builder(SLEEP).minUptime(Duration.ofSeconds(-1))),
				fail(PoolOptions.builder(SLEEP).shutdownTimeout(Duration.ofSeconds(-1))),
				fail(PoolOptions.builder(SLEEP).stopExitCodes(Set.of(256))),
				fail(PoolOptions.builder(SLEEP).workingDirectory(directory.resolve("missing"))),
				fail(PoolOptions.builder(WorkerCommand.exec(" ", List.of()))),
				fail(PoolOptions.builder(WorkerCommand.exec("/no/such/worker", List.of()))),
				fail(PoolOptions.builder(WorkerCommand.exec(notExecutable.toString(), List.of()))),
				fail(PoolOptions.builder(WorkerCommand.exec("no-such-worker-binary", List.of()))
					.env(Map.of("PATH", directory.toString()))),
				fail(PoolOptions.builder(WorkerCommand.java(" ", null, List.of(), List.of()))),
				fail(PoolOptions.builder(WorkerCommand.java("com.example.NoSuchWorker", null, List.of(), List.of()))));
		assertThat(failures).allSatisfy((failure) -> {
			assertThat(failure.getMessage()).doesNotContain("cfork.").doesNotContain("{").doesNotContain("%s");
			assertThat(failure.getFix()).doesNotContain("cfork.").contains(failure.getOption());
		});
		assertThat(failures).extracting(InvalidPoolOptionException::getOption)
			.containsExactly("count", "limit", "duration", "backoff.initial", "backoff.max", "min-uptime",
					"shutdown-timeout", "stop-exit-codes", "working-directory", "exec", "exec", "exec", "exec",
					"java.main-class", "java.main-class");
		assertThat(failures.get(1).getFix()).contains("set refork=false");
		assertThat(failures.get(4).getFix()).isEqualTo("Set backoff.max to at least backoff.initial, or lower "
				+ "backoff.initial.");
		assertThat(failures.get(12).getFix()).contains("(env.PATH for workers)");
		assertThat(failures.get(14).getFix()).contains("set java.class-path to where the class lives");
	}

	private static InvalidPoolOptionException fail(PoolOptions.Builder builder) {
		InvalidPoolOptionException failure = catchThrowableOfType(InvalidPoolOptionException.class, builder::build);
		assertThat(failure).as("failure of %s", builder).isNotNull();
		return failure;
	}

}
