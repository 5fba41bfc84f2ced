package io.cfork.actuate;

import java.security.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.cfork.Proc;
import io.cfork.WorkerPoolManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link CforkEndpointWebExtension}: statuses, error bodies and show-values, with real
 * workers.
 */
@EnabledOnOs(OS.LINUX)
class CforkEndpointWebExtensionTests {

	private static final SecurityContext ANONYMOUS = SecurityContext.NONE;

	private final WorkerPoolManager pool = TestPools.sleeping(2);

	private final CforkEndpoint endpoint = new CforkEndpoint(this.pool, Show.NEVER);

	@AfterEach
	void reap() {
		this.pool.stop();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void showsValuesOnlyToWhomShowValuesAndRolesAllow() {
		this.pool.start();
		CforkEndpointWebExtension whenAuthorized = extension(Show.WHEN_AUTHORIZED, Set.of("OPS"));
		assertThat(whenAuthorized.pool(ANONYMOUS).command()).containsExactly("sleep", "******");
		assertThat(whenAuthorized.pool(user("dev")).env()).containsEntry("API_TOKEN", "******");
		assertThat(whenAuthorized.pool(user("ops", "OPS")).env()).containsEntry("API_TOKEN", "s3cr3t");
		assertThat(extension(Show.WHEN_AUTHORIZED, Set.of()).pool(user("dev")).command()).containsExactly("sleep",
				"3600");
		assertThat(extension(Show.NEVER, Set.of()).pool(user("ops", "OPS")).command()).containsExactly("sleep",
				"******");
		assertThat(extension(Show.ALWAYS, Set.of("OPS")).pool(ANONYMOUS).command()).containsExactly("sleep", "3600");
		WebEndpointResponse<Object> scaled = extension(Show.WHEN_AUTHORIZED, Set.of("OPS")).scale("2", null,
				user("ops", "OPS"));
		assertThat(((PoolDescriptor) scaled.getBody()).env()).containsEntry("API_TOKEN", "s3cr3t");
	}

	@Test
	void answersOneWorker404ForAnUnknownIndexAnd400ForOneThatIsNotANumber() {
		this.pool.start();
		CforkEndpointWebExtension extension = extension(Show.NEVER, Set.of());
		WebEndpointResponse<Object> worker = extension.worker("1");
		assertThat(worker.getStatus()).isEqualTo(200);
		assertThat(((PoolDescriptor.Worker) worker.getBody()).index()).isOne();
		assertThat(extension.worker("2").getStatus()).isEqualTo(404);
		assertThat(extension.worker("2").getBody()).isNull();
		assertError(extension.worker("one"), 400, "index must be a worker's slot index, a whole number, was 'one'");
	}

	@Test
	void restartsAWorker() {
		this.pool.start();
		CforkEndpointWebExtension extension = extension(Show.NEVER, Set.of());
		long pid = this.pool.snapshot().worker(0).orElseThrow().pid();
		WebEndpointResponse<Object> restarted = extension.restart("0");
		assertThat(restarted.getStatus()).isEqualTo(202);
		assertThat(((PoolDescriptor.Worker) restarted.getBody()).index()).isZero();
		await().atMost(Duration.ofSeconds(20)).until(() -> this.pool.snapshot().worker(0).orElseThrow().pid() != pid);
		assertThat(extension.restart("9").getStatus()).isEqualTo(404);
		assertError(extension.restart("first"), 400, "index must be a worker's slot index, a whole number, "
				+ "was 'first'");
	}

	@Test
	void scalesThePool() {
		this.pool.start();
		WebEndpointResponse<Object> scaled = extension(Show.NEVER, Set.of()).scale("3", null, ANONYMOUS);
		assertThat(scaled.getStatus()).isEqualTo(200);
		assertThat(((PoolDescriptor) scaled.getBody()).desired()).isEqualTo(3);
	}

	@Test
	void refusesEveryBadCountWithTheReason() {
		this.pool.start();
		CforkEndpointWebExtension extension = extension(Show.NEVER, Set.of());
		assertError(extension.scale(null, null, ANONYMOUS), 400, "count is required: POST {\"count\": N} with N >= 1");
		assertError(extension.scale(" ", null, ANONYMOUS), 400, "count is required: POST {\"count\": N} with N >= 1");
		assertError(extension.scale("many", null, ANONYMOUS), 400,
				"count must be a whole number: POST {\"count\": N} with N >= 1, was 'many'");
		assertError(extension.scale("2.5", null, ANONYMOUS), 400,
				"count must be a whole number: POST {\"count\": N} with N >= 1, was '2.5'");
		assertError(extension.scale("0", null, ANONYMOUS), 400, "count must be at least 1, was 0");
		assertError(extension.scale("-3", null, ANONYMOUS), 400, "count must be at least 1, was -3");
		assertThat(this.pool.snapshot().desired()).isEqualTo(2);
	}

	@Test
	void answers409ForAPoolThatIsNotRunning() {
		CforkEndpointWebExtension extension = extension(Show.NEVER, Set.of());
		assertError(extension.restart("0"), 409, "The worker pool is not running (STOPPED)");
		this.pool.start();
		this.pool.stop();
		assertError(extension.restart("0"), 409, "The worker pool is not running (STOPPED)");
		assertError(extension.scale("3", null, ANONYMOUS), 409, "The worker pool is not running (STOPPED)");
		assertThat(extension.pool(ANONYMOUS).status()).hasToString("STOPPED");
	}

	private CforkEndpointWebExtension extension(Show show, Set<String> roles) {
		return new CforkEndpointWebExtension(this.endpoint, show, roles);
	}

	private static void assertError(WebEndpointResponse<Object> response, int status, String error) {
		assertThat(response.getStatus()).isEqualTo(status);
		assertThat(response.getBody()).isInstanceOf(OperationResponseBody.class)
			.isEqualTo(Map.of("error", error));
	}

	private static SecurityContext user(String name, String... roles) {
		Principal principal = () -> name;
		Set<String> granted = Set.of(roles);
		return new SecurityContext() {

			@Override
			public Principal getPrincipal() {
				return principal;
			}

			@Override
			public boolean isUserInRole(String role) {
				return granted.contains(role);
			}

		};
	}

}
