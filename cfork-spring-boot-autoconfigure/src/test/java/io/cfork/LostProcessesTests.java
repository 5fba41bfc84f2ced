package io.cfork;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LostProcesses}, with children spawned behind the JDK's back (with
 * {@code posix_spawn}, as a {@code ProcessBuilder.start} that failed after its spawn leaves them):
 * no {@link Process}, no reaper thread.
 */
@EnabledOnOs(OS.LINUX)
class LostProcessesTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final String poolId = UUID.randomUUID().toString();

	private final List<Integer> spawned = new ArrayList<>();

	@AfterEach
	void reapWhatIsLeft() {
		int[] status = new int[1];
		for (int pid : this.spawned) {
			ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
			await().atMost(WAIT).until(() -> LinuxLibc.waitpid(pid, status, LinuxLibc.WNOHANG) != 0);
		}
		assertThat(Proc.zombieChildren()).isEmpty();
	}

	@Test
	void aChildCarryingTheWorkersMarkIsKilledAndReaped() {
		int pid = spawnMarked(this.poolId, 7);
		String done = LostProcesses.killAndReap(this.poolId, 7);
		assertThat(done).isEqualTo("the process it had spawned, found by its mark: pid " + pid + " killed and reaped");
		this.spawned.remove((Integer) pid);
		assertThat(Path.of("/proc/" + pid)).as("neither running nor a zombie").doesNotExist();
	}

	@Test
	void anotherWorkersAndAnotherPoolsProcessesAreSpared() {
		int otherWorker = spawnMarked(this.poolId, 8);
		int otherPool = spawnMarked(UUID.randomUUID().toString(), 7);
		assertThat(LostProcesses.killAndReap(this.poolId, 7)).isNull();
		assertThat(ProcessHandle.of(otherWorker)).hasValueSatisfying((process) -> assertThat(process.isAlive()).isTrue());
		assertThat(ProcessHandle.of(otherPool)).hasValueSatisfying((process) -> assertThat(process.isAlive()).isTrue());
	}

	/**
	 * Spawns {@code sleep 600} with a worker's mark, and waits until it runs with it.
	 */
	private int spawnMarked(String poolId, long id) {
		String file = "/bin/sleep";
		Memory path = new Memory(file.length() + 1L);
		path.setString(0, file);
		String[] mark = { WorkerEnvironment.POOL_ID + "=" + poolId, WorkerEnvironment.WORKER_ID + "=" + id };
		int[] pid = new int[1];
		int error = LinuxLibc.posix_spawn(pid, path, null, null, new StringArray(new String[] { file, "600" }),
				new StringArray(mark));
		assertThat(error).as("posix_spawn").isZero();
		this.spawned.add(pid[0]);
		await().atMost(WAIT).until(() -> ProcFs.environmentHolds(pid[0], List.of(mark)));
		return pid[0];
	}

}
