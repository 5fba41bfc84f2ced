package io.cfork.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.cfork.ForkCause;
import io.cfork.Launcher;
import io.cfork.PoolOptions;
import io.cfork.Proc;
import io.cfork.PoolSnapshot;
import io.cfork.WorkerCommand;
import io.cfork.WorkerForked;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import io.cfork.WorkerState;
import io.cfork.event.WorkerExitedEvent;
import io.cfork.event.WorkerForkedEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.MapPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link CforkAutoConfiguration}, with real worker processes.
 */
class CforkAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class));

	@AfterEach
	void noWorkerOutlivesItsContext() {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void startsCountWorkersWithTheirEnvironmentAndStopsThemOnClose() {
		List<Long> pids = new CopyOnWriteArrayList<>();
		this.contextRunner
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=3", "cfork.env.GREETING=hello")
			.run((context) -> {
				assertThat(context).hasSingleBean(WorkerPoolManager.class);
				PoolSnapshot pool = context.getBean(WorkerPoolManager.class).snapshot();
				assertThat(pool.desired()).isEqualTo(3);
				assertThat(pool.alive()).isEqualTo(3);
				assertThat(pool.command()).containsExactly("sleep", "3600");
				for (WorkerSnapshot worker : pool.workers()) {
					pids.add(worker.pid());
					// Until the worker's own exec, /proc shows the launcher's environment.
					await().atMost(Duration.ofSeconds(10))
						.untilAsserted(() -> assertThat(Proc.environment(worker.pid())).containsEntry("GREETING", "hello")
							.containsEntry("CFORK_WORKER_INDEX", Integer.toString(worker.index()))
							.containsEntry("CFORK_WORKER_ID", Long.toString(worker.id()))
							.containsEntry("CFORK_WORKER_COUNT", "3")
							.containsEntry("CFORK_MASTER_PID", Long.toString(ProcessHandle.current().pid())));
				}
			});
		assertThat(pids).hasSize(3).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty());
	}

	@Test
	void bindsEveryProperty(@TempDir Path directory) {
		this.contextRunner
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1", "cfork.refork=false",
					"cfork.stop-exit-codes=0,3", "cfork.limit=7", "cfork.duration=90s", "cfork.backoff.initial=250ms",
					"cfork.backoff.max=2s", "cfork.min-uptime=1s", "cfork.env.A=1", "cfork.silent=true",
					"cfork.working-directory=" + directory, "cfork.shutdown-timeout=3s", "cfork.launcher=jdk")
			.run((context) -> {
				PoolOptions options = context.getBean(WorkerPoolManager.class).getOptions();
				assertThat(options.count()).isOne();
				assertThat(options.refork()).isFalse();
				assertThat(options.stopExitCodes()).containsExactlyInAnyOrder(0, 3);
				assertThat(options.limit()).isEqualTo(7);
				assertThat(options.duration()).isEqualTo(Duration.ofSeconds(90));
				assertThat(options.backoffInitial()).isEqualTo(Duration.ofMillis(250));
				assertThat(options.backoffMax()).isEqualTo(Duration.ofSeconds(2));
				assertThat(options.minUptime()).isEqualTo(Duration.ofSeconds(1));
				assertThat(options.env()).containsEntry("A", "1");
				assertThat(options.output()).isNull();
				assertThat(options.workingDirectory()).isEqualTo(directory);
				assertThat(options.shutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
				assertThat(options.launcher()).isEqualTo(Launcher.JDK);
			});
	}

	@Test
	void countDefaultsToTheNumberOfAvailableProcessors() {
		this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.args=3600")
			.run((context) -> assertThat(context.getBean(WorkerPoolManager.class).snapshot().alive())
				.isEqualTo(Runtime.getRuntime().availableProcessors()));
	}

	@Test
	void runsAJavaMainClassOnTheMastersClassPath() {
		this.contextRunner
			.withPropertyValues("cfork.java.main-class=" + SleepingWorker.class.getName(), "cfork.count=1",
					"cfork.java.jvm-args=-Xmx32m")
			.run((context) -> {
				List<String> command = context.getBean(WorkerPoolManager.class).snapshot().command();
				assertThat(command.get(0)).endsWith("/bin/java");
				assertThat(command).contains("-Xmx32m", "-cp", SleepingWorker.class.getName());
				await().atMost(Duration.ofSeconds(20))
					.until(() -> context.getBean(WorkerPoolManager.class).snapshot().worker(0).orElseThrow().isAlive());
			});
	}

	@Test
	void publishesWorkerEventsAsApplicationEvents() {
		this.contextRunner.withUserConfiguration(EventsConfiguration.class)
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1", "cfork.backoff.initial=0ms")
			.run((context) -> {
				EventsConfiguration events = context.getBean(EventsConfiguration.class);
				WorkerPoolManager pool = context.getBean(WorkerPoolManager.class);
				await().atMost(Duration.ofSeconds(10)).until(() -> events.forked.size() == 1);
				long pid = pool.snapshot().worker(0).orElseThrow().pid();
				ProcessHandle.of(pid).orElseThrow().destroyForcibly();
				await().atMost(Duration.ofSeconds(10)).until(() -> events.forked.size() == 2);
				assertThat(events.exited).singleElement().satisfies((event) -> {
					assertThat(event.isUnexpected()).isTrue();
					assertThat(event.getExited().pid()).isEqualTo(pid);
					assertThat(event.getExited().exit().signal()).isEqualTo("SIGKILL");
					assertThat(event.getExited().reforked()).isTrue();
				});
				assertThat(events.forked.get(1).getForked().worker().index()).isZero();
				assertThat(events.forked.get(1).getForked().reforkLatency()).isNotNull();
			});
	}

	@Test
	void subscribesTheApplicationsPoolListenersBeforeTheFirstFork() {
		this.contextRunner.withUserConfiguration(ListenerConfiguration.class)
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=2")
			.run((context) -> {
				List<WorkerForked> forked = context.getBean(ListenerConfiguration.class).forked;
				await().atMost(Duration.ofSeconds(10)).until(() -> forked.size() == 2);
				assertThat(forked).extracting(WorkerForked::cause).containsOnly(ForkCause.START);
			});
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("cfork.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(WorkerPoolManager.class));
	}

	@Test
	void forksNothingWhenStartedAsAWorker() {
		// The same application as a worker: the variables a master sets must be harmless, and no
		// pool is started even though cfork.* says what to run.
		this.contextRunner
			.withPropertyValues("CFORK_MASTER_PID=4242", "CFORK_WORKER_INDEX=1", "CFORK_WORKER_ID=7",
					"CFORK_WORKER_COUNT=4", "cfork.exec=sleep", "cfork.args=3600")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(WorkerPoolManager.class)
				.doesNotHaveBean(WorkerPoolLifecycle.class));
	}

	@Test
	void backsOffWhenTheApplicationDefinesItsOwnPool() {
		this.contextRunner.withUserConfiguration(UserPoolConfiguration.class)
			.withPropertyValues("cfork.exec=does-not-exist")
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(WorkerPoolManager.class)
				.isSameAs(context.getBean(UserPoolConfiguration.class).pool));
	}

	@Test
	void failsWithoutACommand() {
		assertFailure(this.contextRunner, "cfork.exec", "no worker command is set",
				"Set cfork.exec to the worker's executable");
	}

	@Test
	void failsWithBothCommands() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.java.main-class=a.B"),
				"cfork.exec", "both cfork.exec and cfork.java.main-class are set", "Set only one of cfork.exec");
	}

	@Test
	void failsOnACountBelowOne() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.count=0"), "cfork.count",
				"must be at least 1", "Set cfork.count to 1 or more");
	}

	@Test
	void failsOnALimitBelowOne() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.limit=0"), "cfork.limit",
				"must be at least 1", "Set cfork.limit to 1 or more");
	}

	@Test
	void failsOnNegativeDurations() {
		for (String property : List.of("cfork.duration", "cfork.backoff.initial", "cfork.min-uptime",
				"cfork.shutdown-timeout")) {
			assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", property + "=-1s"), property,
					"must", "Set " + property + " to");
		}
	}

	@Test
	void failsOnABackoffCapBelowItsStart() {
		assertFailure(
				this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.backoff.initial=2s",
						"cfork.backoff.max=1s"),
				"cfork.backoff.max", "must not be less than backoff.initial", "Set cfork.backoff.max to at least");
	}

	@Test
	void failsOnAStopExitCodeOutOfRange() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.stop-exit-codes=0,256"),
				"cfork.stop-exit-codes", "from 0 to 255", "List only codes from 0 to 255 in cfork.stop-exit-codes");
	}

	@Test
	void failsOnAnExecutableNotOnThePath() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=no-such-worker-binary"), "cfork.exec",
				"no executable of that name on PATH", "set cfork.exec to its absolute path");
	}

	@Test
	void failsOnAMissingExecutableFile() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=/no/such/worker"), "cfork.exec",
				"no such file", "Set cfork.exec to an existing executable file");
	}

	@Test
	void failsOnAFileThatIsNotExecutable(@TempDir Path directory) throws Exception {
		Path script = Files.writeString(directory.resolve("worker.sh"), "echo hi\n");
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=" + script), "cfork.exec", "not executable",
				"chmod +x");
	}

	@Test
	void failsOnAMissingWorkingDirectory() {
		assertFailure(
				this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.working-directory=/no/such/dir"),
				"cfork.working-directory", "no such directory", "Create the directory, or set cfork.working-directory");
	}

	@Test
	void failsOnAnUnknownMainClass() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.java.main-class=com.example.NoSuchWorker"),
				"cfork.java.main-class", "no such class on the class path", "cfork.java.class-path");
	}

	@Test
	void failsOnAnExecutableThatIsADirectory(@TempDir Path directory) {
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=" + directory), "cfork.exec",
				"is a directory: " + directory, "an executable file, not a directory");
	}

	@Test
	void failsOnAScriptWhoseInterpreterDoesNotExist(@TempDir Path directory) throws Exception {
		Path script = Files.writeString(directory.resolve("worker.sh"), "#!/no/such/interpreter -e\necho hi\n");
		script.toFile().setExecutable(true);
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=" + script), "cfork.exec",
				"its interpreter /no/such/interpreter (the #! line of " + script + ") does not exist",
				"Install /no/such/interpreter, or fix the #! line of the script cfork.exec names");
	}

	@Test
	void failsOnAScriptWhoseEnvInterpreterIsNotOnThePath(@TempDir Path directory) throws Exception {
		Path script = Files.writeString(directory.resolve("worker.js"), "#!/usr/bin/env no-such-node\n");
		script.toFile().setExecutable(true);
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=" + script), "cfork.exec",
				"its interpreter no-such-node", "Install no-such-node");
	}

	@Test
	void failsOnAClassPathEntryThatDoesNotExist(@TempDir Path directory) {
		assertFailure(
				this.contextRunner.withPropertyValues("cfork.java.main-class=com.example.Worker",
						"cfork.java.class-path=" + directory + ":/no/such/worker.jar"),
				"cfork.java.class-path", "no such file or directory: /no/such/worker.jar",
				"Set cfork.java.class-path to existing jars and folders");
	}

	@Test
	void failsOnAnEnvNameWithAnEqualsSignWithoutQuotingIt() {
		// A name with '=' cannot be written as a property=value pair: put it in a property source as it is.
		ApplicationContextRunner runner = this.contextRunner.withPropertyValues("cfork.exec=sleep")
			.withInitializer((context) -> context.getEnvironment().getPropertySources().addFirst(new MapPropertySource(
					"env", Map.of("cfork.env[API_KEY=hunter2-secret]", "value-secret-too"))));
		assertFailure(runner, "cfork.env", "the name of an entry contains '='", "without '=' or NUL characters");
		runner.run((context) -> assertThat(describe(context)).doesNotContain("hunter2-secret", "value-secret-too"));
	}

	@Test
	void failsOnAnExecutableNotOnTheWorkersPathWithoutQuotingIt() {
		ApplicationContextRunner runner = this.contextRunner.withPropertyValues("cfork.exec=no-such-worker-binary",
				"cfork.env.PATH=/opt/secret-token-9f8e7d/bin");
		assertFailure(runner, "cfork.exec", "no executable of that name on PATH (env.PATH, its value not shown)",
				"set cfork.exec to its absolute path");
		runner.run((context) -> assertThat(describe(context)).doesNotContain("secret-token-9f8e7d"));
	}

	@Test
	void failsOnACountThatCannotFitTheLimitsOnProcesses() {
		// No machine allows two billion threads: threads-max is at most about one billion.
		assertFailure(this.contextRunner.withPropertyValues("cfork.exec=sleep", "cfork.args=60",
				"cfork.count=2000000000"), "cfork.count", "2000000000 more workers need", "Set cfork.count to at most");
	}

	/** Everything a failed start-up says: the failure analysis and the exception chain. */
	private static String describe(AssertableApplicationContext context) {
		FailureAnalysis analysis = analyze(context);
		StringBuilder text = new StringBuilder(analysis.getDescription()).append(analysis.getAction());
		for (Throwable cause = context.getStartupFailure(); cause != null; cause = cause.getCause()) {
			text.append(cause);
		}
		return text.toString();
	}

	private static void assertFailure(ApplicationContextRunner runner, String property, String problem, String fix) {
		runner.run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = analyze(context);
			assertThat(analysis).as("failure analysis of %s", context.getStartupFailure()).isNotNull();
			assertThat(analysis.getDescription()).contains("'" + property + "'").contains(problem);
			assertThat(analysis.getAction()).contains(fix);
			assertThat(Proc.workerChildren()).isEmpty();
		});
	}

	private static FailureAnalysis analyze(AssertableApplicationContext context) {
		return new CforkFailureAnalyzer().analyze(context.getStartupFailure());
	}

	@Configuration(proxyBeanMethods = false)
	static class EventsConfiguration {

		final List<WorkerForkedEvent> forked = new CopyOnWriteArrayList<>();

		final List<WorkerExitedEvent> exited = new CopyOnWriteArrayList<>();

		@EventListener
		void forked(WorkerForkedEvent event) {
			this.forked.add(event);
		}

		@EventListener
		void exited(WorkerExitedEvent event) {
			this.exited.add(event);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ListenerConfiguration {

		final List<WorkerForked> forked = new CopyOnWriteArrayList<>();

		@Bean
		WorkerPoolListener forkRecorder(WorkerPoolManager pool) {
			return new WorkerPoolListener() {

				@Override
				public void workerForked(WorkerForked event) {
					ListenerConfiguration.this.forked.add(event);
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserPoolConfiguration {

		final WorkerPoolManager pool = new WorkerPoolManager(
				PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600"))).count(1).build());

		@Bean
		WorkerPoolManager userPool() {
			return this.pool;
		}

	}

	/**
	 * A Java worker that sleeps until it is stopped.
	 */
	public static final class SleepingWorker {

		public static void main(String[] args) throws InterruptedException {
			Thread.sleep(Duration.ofHours(1).toMillis());
		}

	}

}
