package io.cfork;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LostProcesses}, with children spawned behind the JDK's back (with
 * {@code posix_spawn}, as a {@code ProcessBuilder.start} that failed after its spawn leaves them):
 * no {@link Process}, no reaper thread; alive with the mark, or dead without it.
 */
@EnabledOnOs(OS.LINUX)
class LostProcessesTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final String poolId = UUID.randomUUID().toString();

	/** What the launch's process may be called: as a launch of {@code true} through setpriv. */
	private static final Set<String> NAMES = Set.of("setpriv", "true");

	private final List<Integer> spawned = new ArrayList<>();

	/** When the "launch" began: before the test spawns anything. */
	private final long since = ProcFs.ticksAt(System.nanoTime()) - 1;

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
		assertLookingFinds(spawnMarked(this.poolId, 7), "found by its mark, killed and reaped");
	}

	@Test
	void anotherWorkersAndAnotherPoolsProcessesAreSpared() {
		int otherWorker = spawnMarked(this.poolId, 8);
		int otherPool = spawnMarked(UUID.randomUUID().toString(), 7);
		assertThat(LostProcesses.killAndReap(this.poolId, 7, this.since, Set.of(), NAMES)).isNull();
		for (int spared : List.of(otherWorker, otherPool)) {
			assertThat(ProcessHandle.of(spared)).hasValueSatisfying((process) -> assertThat(process.isAlive()).isTrue());
		}
	}

	@Test
	void aChildThatDiedBeforeItWasLookedForIsReaped() {
		assertLookingFinds(spawnZombie(), "had exited, reaped");
	}

	@Test
	void aZombieTheLaunchCannotHaveStartedIsLeftToItsOwner() {
		int tracked = spawnZombie();
		assertThat(LostProcesses.killAndReap(this.poolId, 7, this.since, Set.of((long) tracked), NAMES))
			.as("tracked by the launcher")
			.isNull();
		assertThat(LostProcesses.killAndReap(this.poolId, 7, this.since, Set.of(), Set.of("setpriv", "sleep")))
			.as("not a name of the launch's")
			.isNull();
		long later = ProcFs.ticksAt(System.nanoTime()) + 100;
		assertThat(LostProcesses.killAndReap(this.poolId, 7, later, Set.of(), NAMES)).as("started before the launch")
			.isNull();
		assertThat(ProcFs.stat(tracked)).as("still a zombie, for its owner to reap").isNotNull()
			.satisfies((stat) -> assertThat(stat.state()).isEqualTo('Z'));
	}

	/**
	 * Looks for worker 7's lost process, and checks that the one found is gone, neither running
	 * nor a zombie.
	 */
	private void assertLookingFinds(int pid, String done) {
		assertThat(LostProcesses.killAndReap(this.poolId, 7, this.since, Set.of(), NAMES))
			.isEqualTo("the process it had spawned: pid " + pid + " " + done);
		this.spawned.remove((Integer) pid);
		assertThat(Path.of("/proc/" + pid)).as("neither running nor a zombie").doesNotExist();
	}

	/**
	 * Spawns {@code sleep 600} with a worker's mark, and waits until it runs with it.
	 */
	private int spawnMarked(String poolId, long id) {
		String[] mark = { WorkerEnvironment.POOL_ID + "=" + poolId, WorkerEnvironment.WORKER_ID + "=" + id };
		int pid = spawn("/bin/sleep", "600", mark);
		await().atMost(WAIT).until(() -> ProcFs.environmentHolds(pid, List.of(mark)));
		return pid;
	}

	/**
	 * Spawns {@code true}, with a worker's mark, and waits until it is a zombie: its environment,
	 * and so its mark, gone with it.
	 */
	private int spawnZombie() {
		int pid = spawn("/bin/true", null,
				new String[] { WorkerEnvironment.POOL_ID + "=" + this.poolId, WorkerEnvironment.WORKER_ID + "=7" });
		await().atMost(WAIT).until(() -> ProcFs.stat(pid) != null && ProcFs.stat(pid).state() == 'Z');
		return pid;
	}

	private int spawn(String file, @Nullable String argument, String[] environment) {
		Memory path = new Memory(file.length() + 1L);
		path.setString(0, file);
		String[] argv = (argument != null) ? new String[] { file, argument } : new String[] { file };
		int[] pid = new int[1];
		int error = LinuxLibc.posix_spawn(pid, path, null, null, new StringArray(argv), new StringArray(environment));
		assertThat(error).as("posix_spawn").isZero();
		this.spawned.add(pid[0]);
		return pid[0];
	}

}
