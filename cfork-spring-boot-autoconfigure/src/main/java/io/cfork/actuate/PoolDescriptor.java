package io.cfork.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cfork.ListenAddress;
import io.cfork.PoolOptions;
import io.cfork.PoolSnapshot;
import io.cfork.PoolStatus;
import io.cfork.ReloadSnapshot;
import io.cfork.WorkerExit;
import io.cfork.WorkerSnapshot;
import io.cfork.WorkerState;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;

/**
 * The pool as the {@code cfork} endpoint shows it. Durations are ISO-8601 ({@code PT1M12S}),
 * instants are UTC ({@code 2026-11-23T10:00:00Z}).
 * <p>
 * An {@link OperationResponseBody}: the actuator writes it with its own JSON mapper, so the
 * application's Jackson settings ({@code spring.jackson.*}) cannot rename or drop its fields. A
 * field without a value is written as {@code null}, never left out.
 *
 * @param status the pool's status
 * @param desired how many workers the pool keeps alive
 * @param alive how many worker processes are alive
 * @param ready how many workers are ready
 * @param reforks how many times a worker was reforked since the pool started
 * @param limit the refork limit
 * @param command the workers' command line, its arguments masked unless values are shown
 * @param env the extra environment for workers, its values masked unless values are shown
 * @param listen the addresses the master listens on for its workers ({@code *:3001})
 * @param reload the latest rolling reload, or {@code null} before the first
 * @param workers the slots
 * @param cpu the CPU all workers used over the last sampling interval, with their sessions, in
 * percent of one core, or {@code null} when none was sampled (or there is no {@code /proc})
 * @param memory the resident set of all workers with their sessions, in bytes, or {@code null}
 * as for {@code cpu}
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record PoolDescriptor(PoolStatus status, int desired, int alive, int ready, long reforks, Limit limit,
		List<String> command, Map<String, String> env, List<String> listen, @Nullable Reload reload,
		List<Worker> workers, @Nullable Double cpu, @Nullable Long memory) implements OperationResponseBody {

	static final String MASK = "******";

	static PoolDescriptor of(PoolSnapshot pool, PoolOptions options, boolean showValues, Instant now) {
		Map<String, String> env = options.env();
		List<String> command = new ArrayList<>(pool.command().size());
		for (int i = 0; i < pool.command().size(); i++) {
			command.add((showValues || i == 0) ? pool.command().get(i) : MASK);
		}
		Map<String, String> shownEnv = new LinkedHashMap<>();
		env.forEach((name, value) -> shownEnv.put(name, showValues ? value : MASK));
		return new PoolDescriptor(pool.status(), pool.desired(), pool.alive(), pool.ready(), pool.reforks(),
				new Limit(pool.limit().limit(), pool.limit().duration().toString(), pool.limit().reached()), command,
				shownEnv, options.listen().stream().map(ListenAddress::toString).toList(),
				(pool.reload() != null) ? Reload.of(pool.reload()) : null,
				pool.workers().stream().map((worker) -> Worker.of(worker, now)).toList(), percent(pool.cpu()),
				pool.memory());
	}

	/**
	 * A CPU percentage to one decimal: finer is noise at a sampling interval of seconds.
	 */
	static @Nullable Double percent(@Nullable Double cpu) {
		return (cpu != null) ? Math.round(cpu * 10) / 10.0 : null;
	}

	/**
	 * The refork limit: at most {@code limit} reforks within {@code duration}.
	 *
	 * @param limit the number of reforks allowed within the window
	 * @param duration the window
	 * @param reached whether the pool gave up reforking
	 */
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Limit(int limit, String duration, boolean reached) {
	}

	/**
	 * One slot; also what {@code /actuator/cfork/{index}} answers.
	 *
	 * @param index the slot index, stable across reforks
	 * @param id the id of the slot's latest fork
	 * @param pid the process id, or {@code null} when no process is alive in the slot
	 * @param state the slot's state
	 * @param startedAt when the slot's latest process started
	 * @param readyAt when the slot's process became ready, or {@code null} while it is not
	 * @param uptime how long the process has been running, or {@code null} when none is alive
	 * @param restarts how many times the slot was forked again, for any cause (refork, restart, scale)
	 * @param lastExit how the slot's previous process ended, or {@code null}
	 * @param crashLoop whether the slot's last 3 or more processes in a row died before they were
	 * ready
	 * @param probeFailures consecutive failed liveness checks of the slot's process
	 * @param generation the workers' generation of the slot's process (0 before the first reload)
	 * @param next the replacement starting beside it, or {@code null}
	 * @param cpu the CPU the worker and its session used over the last sampling interval, in percent
	 * of one core, or {@code null} before its first sample, when no process is alive, or without
	 * {@code /proc}
	 * @param memory the resident set of the worker and its session, in bytes, or {@code null} as for
	 * {@code cpu}
	 * @param status what the worker last said with sd_notify's {@code STATUS=}, or {@code null}
	 * @param stopping whether the worker said {@code STOPPING=1} (sd_notify)
	 * @param stopped whether the worker's process was stopped (SIGSTOP) at the last resource sample
	 * ({@code cfork.resources.interval})
	 */
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Worker(int index, long id, @Nullable Long pid, WorkerState state, @Nullable String startedAt,
			@Nullable String readyAt, @Nullable String uptime, int restarts, @Nullable Exit lastExit, boolean crashLoop,
			int probeFailures, long generation, @Nullable Next next, @Nullable Double cpu, @Nullable Long memory,
			@Nullable String status, boolean stopping, boolean stopped) implements OperationResponseBody {

		static Worker of(WorkerSnapshot worker, Instant now) {
			WorkerExit exit = worker.lastExit();
			Duration uptime = worker.uptime(now);
			return new Worker(worker.index(), worker.id(), worker.pid(), worker.state(),
					(worker.startedAt() != null) ? worker.startedAt().toString() : null,
					(worker.readyAt() != null) ? worker.readyAt().toString() : null,
					(uptime != null) ? uptime.withNanos(0).toString() : null, worker.restarts(),
					(exit != null) ? Exit.of(exit) : null, worker.crashLoop(), worker.probeFailures(),
					worker.generation(), (worker.next() != null) ? Next.of(worker.next()) : null, percent(worker.cpu()),
					worker.memory(), worker.status(), worker.stopping(), worker.stopped());
		}

	}

	/**
	 * How a process ended.
	 *
	 * @param code the exit code ({@code -1}: it could not be started)
	 * @param signal the signal that killed it, for a code above 128
	 * @param unexpected whether the pool did not ask it to stop
	 * @param at when the exit was seen
	 * @param error why it could not be started, if it could not
	 * @param reason why the pool stopped it ({@code not ready within 60s}), if it did
	 */
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Exit(int code, @Nullable String signal, boolean unexpected, String at, @Nullable String error,
			@Nullable String reason) {

		static Exit of(WorkerExit exit) {
			return new Exit(exit.code(), exit.signal(), exit.unexpected(), exit.at().toString(), exit.error(),
					exit.reason());
		}

	}

	/**
	 * A replacement starting beside a slot's worker.
	 *
	 * @param id its fork id
	 * @param pid its process id
	 * @param state its state
	 * @param generation its generation
	 */
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Next(long id, @Nullable Long pid, WorkerState state, long generation) {

		static Next of(WorkerSnapshot.Next next) {
			return new Next(next.id(), next.pid(), next.state(), next.generation());
		}

	}

	/**
	 * A rolling reload.
	 *
	 * @param generation the generation it brings
	 * @param state {@code IN_PROGRESS}, {@code DONE} or {@code FAILED}
	 * @param replaced how many slots were replaced
	 * @param total how many it replaces
	 * @param startedAt when it started
	 * @param finishedAt when it ended
	 * @param reason why it failed
	 */
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Reload(long generation, ReloadSnapshot.State state, int replaced, int total, String startedAt,
			@Nullable String finishedAt, @Nullable String reason) {

		static Reload of(ReloadSnapshot reload) {
			return new Reload(reload.generation(), reload.state(), reload.replaced(), reload.total(),
					reload.startedAt().toString(), (reload.finishedAt() != null) ? reload.finishedAt().toString() : null,
					reload.reason());
		}

	}

}
