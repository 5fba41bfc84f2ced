package io.cfork.actuate;

import java.time.Duration;

import io.cfork.Proc;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.Show;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link CforkEndpoint}, the operations as JMX sees them, with real workers.
 */
@EnabledOnOs(OS.LINUX)
class CforkEndpointTests {

	private final WorkerPoolManager pool = TestPools.sleeping(2);

	@AfterEach
	void reap() {
		this.pool.stop();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void answersInDescriptorsTheActuatorWritesWithItsOwnMapper() {
		this.pool.start();
		CforkEndpoint endpoint = new CforkEndpoint(this.pool, Show.NEVER);
		assertThat(endpoint.pool()).isInstanceOf(OperationResponseBody.class);
		assertThat(endpoint.worker(0)).isInstanceOf(OperationResponseBody.class);
	}

	@Test
	void showsValuesUnlessNever() {
		this.pool.start();
		assertThat(new CforkEndpoint(this.pool, Show.NEVER).pool()).satisfies((pool) -> {
			assertThat(pool.command()).containsExactly("sleep", "******");
			assertThat(pool.env()).containsEntry("API_TOKEN", "******");
		});
		for (Show show : new Show[] { Show.WHEN_AUTHORIZED, Show.ALWAYS }) {
			assertThat(new CforkEndpoint(this.pool, show).pool()).as("show-values %s", show).satisfies((pool) -> {
				assertThat(pool.command()).containsExactly("sleep", "3600");
				assertThat(pool.env()).containsEntry("API_TOKEN", "s3cr3t");
			});
		}
	}

	@Test
	void describesOneWorkerOrNothing() {
		this.pool.start();
		CforkEndpoint endpoint = new CforkEndpoint(this.pool, Show.NEVER);
		PoolDescriptor.Worker worker = endpoint.worker(1);
		assertThat(worker).isNotNull();
		assertThat(worker.index()).isOne();
		assertThat(worker.pid()).isEqualTo(this.pool.snapshot().worker(1).orElseThrow().pid());
		assertThat(worker.lastExit()).isNull();
		assertThat(endpoint.worker(2)).isNull();
		assertThat(endpoint.worker(-1)).isNull();
	}

	@Test
	void restartsAWorkerOrAnswersNothingForAnUnknownIndex() {
		this.pool.start();
		CforkEndpoint endpoint = new CforkEndpoint(this.pool, Show.NEVER);
		long pid = this.pool.snapshot().worker(0).orElseThrow().pid();
		PoolDescriptor.Worker restarting = endpoint.restart(0);
		assertThat(restarting).isNotNull();
		assertThat(restarting.index()).isZero();
		await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.worker(0).pid() != pid
				&& ProcessHandle.of(pid).isEmpty() && endpoint.worker(0).lastExit() != null);
		assertThat(endpoint.worker(0).lastExit().signal()).isEqualTo("SIGTERM");
		assertThat(endpoint.worker(0).lastExit().unexpected()).isFalse();
		assertThat(endpoint.worker(0).next()).isNull();
		assertThat(endpoint.restart(5)).isNull();
	}

	@Test
	void scalesThePool() {
		this.pool.start();
		PoolDescriptor scaled = new CforkEndpoint(this.pool, Show.NEVER).scale(3);
		assertThat(scaled.desired()).isEqualTo(3);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.pool.snapshot().alive() == 3);
	}

	@Test
	void refusesACountBelowOne() {
		this.pool.start();
		assertThatIllegalArgumentException().isThrownBy(() -> new CforkEndpoint(this.pool, Show.NEVER).scale(0))
			.withMessage("count must be at least 1, was 0");
		assertThat(this.pool.snapshot().desired()).isEqualTo(2);
	}

	@Test
	void refusesToChangeAPoolThatIsNotRunning() {
		CforkEndpoint endpoint = new CforkEndpoint(this.pool, Show.NEVER);
		assertThatIllegalStateException().isThrownBy(() -> endpoint.restart(0))
			.withMessage("The worker pool is not running (STOPPED)");
		this.pool.start();
		this.pool.stop();
		assertThatIllegalStateException().isThrownBy(() -> endpoint.scale(1))
			.withMessage("The worker pool is not running (STOPPED)");
		assertThat(endpoint.pool().workers()).allSatisfy((worker) -> assertThat(worker.state())
			.isEqualTo(WorkerState.EXITED));
	}

}
