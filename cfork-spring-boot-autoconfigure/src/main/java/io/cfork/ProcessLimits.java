package io.cfork;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The limits on processes that a pool's workers count against, read from {@code /proc} and the
 * cgroup file system, so that a start or a scale that cannot fit is refused up front instead of
 * failing part-way with the master short of threads:
 * <ul>
 * <li>the master's cgroup {@code pids.max} (cgroup v2, or v1's {@code pids} controller), at every
 * level up to the root of the hierarchy, against its {@code pids.current};</li>
 * <li>{@code RLIMIT_NPROC} ({@code ulimit -u}), against the threads of the master's real user,
 * unless the kernel exempts the master (root, or {@code CAP_SYS_RESOURCE}/{@code CAP_SYS_ADMIN});</li>
 * <li>{@code /proc/sys/kernel/threads-max}, against every thread of the machine.</li>
 * </ul>
 * All three count threads, not processes: the master's own threads (a web server's pool grows
 * under load; the JVM starts a thread for each signal it handles, SIGTERM included) need room too,
 * so a request must leave {@link #headroom(long) headroom} for them.
 */
final class ProcessLimits {

	/** Room kept for the master's own threads, at least. */
	static final int MIN_HEADROOM = 64;

	private static final Path PROC_SELF = Path.of("/proc/self");

	/** {@code CAP_SYS_ADMIN} and {@code CAP_SYS_RESOURCE}: either exempts a process from RLIMIT_NPROC. */
	private static final int[] NPROC_EXEMPTING_CAPABILITIES = { 21, 24 };

	private ProcessLimits() {
	}

	/**
	 * The room for the master's own threads a request must leave: as many as it has now, so it can
	 * double them, and at least {@value #MIN_HEADROOM}.
	 * @param masterThreads the master's threads now
	 * @return the headroom, in pids
	 */
	static long headroom(long masterThreads) {
		return Math.max(MIN_HEADROOM, masterThreads);
	}

	/**
	 * Checks that this many more workers fit every limit with headroom for the master.
	 * @param workers how many more workers
	 * @param pidsPerWorker what each costs in pids (its process and the master's threads for it)
	 * @param launcher the launcher's name, to say where the cost comes from
	 * @param workerThreads the master's threads that serve the workers already running (the jdk
	 * launcher's reaper and output threads): not the master's own, so not part of its headroom
	 * @return why they do not fit, or {@code null} if they do (or there is no {@code /proc})
	 */
	static @Nullable Refusal check(long workers, int pidsPerWorker, String launcher, long workerThreads) {
		if (workers <= 0 || !ProcFs.isAvailable()) {
			return null;
		}
		long headroom = headroom(masterThreads() - workerThreads);
		long needed = workers * pidsPerWorker + headroom;
		Limit tightest = tightest(read());
		if (tightest == null || needed <= tightest.free()) {
			return null;
		}
		long fits = Math.max(0, (tightest.free() - headroom) / pidsPerWorker);
		return new Refusal(tightest, workers, needed, headroom, pidsPerWorker, launcher, fits);
	}

	/**
	 * The limit with the least room left, or {@code null} if none applies.
	 */
	static @Nullable Limit tightest(List<Limit> limits) {
		Limit tightest = null;
		for (Limit limit : limits) {
			if (tightest == null || limit.free() < tightest.free()) {
				tightest = limit;
			}
		}
		return tightest;
	}

	/**
	 * Every limit that applies to the master now, with what is in use.
	 * @return the limits
	 */
	static List<Limit> read() {
		List<Limit> limits = new ArrayList<>();
		Limit cgroup = cgroupLimit();
		if (cgroup != null) {
			limits.add(cgroup);
		}
		Limit nproc = nprocLimit();
		if (nproc != null) {
			limits.add(nproc);
		}
		Long threadsMax = number(read(Path.of("/proc/sys/kernel/threads-max")));
		Long threads = machineThreads();
		if (threadsMax != null && threads != null) {
			limits.add(new Limit("threads-max", threadsMax, threads, "/proc/sys/kernel/threads-max"));
		}
		return limits;
	}

	/**
	 * The threads of the master, from {@code /proc/self/status}.
	 * @return the count, 1 if it cannot be read
	 */
	static long masterThreads() {
		Long threads = statusField(PROC_SELF.resolve("status"), "Threads:");
		return (threads != null) ? threads : 1;
	}

	/**
	 * The tightest {@code pids.max} of the master's cgroup and its ancestors.
	 */
	static @Nullable Limit cgroupLimit() {
		String cgroups = read(PROC_SELF.resolve("cgroup"));
		String mountInfo = read(PROC_SELF.resolve("mountinfo"));
		if (cgroups == null || mountInfo == null) {
			return null;
		}
		Limit tightest = null;
		for (String line : cgroups.split("\n")) {
			String[] fields = line.split(":", 3);
			if (fields.length < 3) {
				continue;
			}
			boolean v2 = fields[0].equals("0") && fields[1].isEmpty();
			boolean pids = List.of(fields[1].split(",")).contains("pids");
			if (!v2 && !pids) {
				continue;
			}
			Path directory = cgroupDirectory(mountInfo, v2, fields[2]);
			for (Path level = directory; level != null && Files.isDirectory(level); level = level.getParent()) {
				Long max = number(read(level.resolve("pids.max")));
				Long current = number(read(level.resolve("pids.current")));
				if (max != null && current != null) {
					Limit limit = new Limit("pids.max", max, current, level.resolve("pids.max").toString());
					tightest = tightest(List.of(limit, (tightest != null) ? tightest : limit));
				}
				if (isMountPoint(mountInfo, level)) {
					break;
				}
			}
		}
		return tightest;
	}

	/**
	 * Where a cgroup of {@code /proc/self/cgroup} is in the file system: the hierarchy's mount
	 * point, joined with the cgroup's path below the mount's root.
	 */
	static @Nullable Path cgroupDirectory(String mountInfo, boolean v2, String path) {
		for (String line : mountInfo.split("\n")) {
			int dash = line.indexOf(" - ");
			if (dash < 0) {
				continue;
			}
			String[] mount = line.substring(0, dash).split(" ");
			String[] fs = line.substring(dash + 3).split(" ");
			if (mount.length < 5 || fs.length < 3) {
				continue;
			}
			boolean matches = v2 ? fs[0].equals("cgroup2")
					: fs[0].equals("cgroup") && List.of(fs[2].split(",")).contains("pids");
			if (!matches) {
				continue;
			}
			String root = unescape(mount[3]);
			String relative = path;
			if (!root.equals("/") && (relative.equals(root) || relative.startsWith(root + "/"))) {
				relative = relative.substring(root.length());
			}
			return Path.of(unescape(mount[4]), relative.replaceFirst("^/+", ""));
		}
		return null;
	}

	private static boolean isMountPoint(String mountInfo, Path directory) {
		String wanted = directory.toString();
		for (String line : mountInfo.split("\n")) {
			String[] mount = line.split(" ");
			if (mount.length > 4 && unescape(mount[4]).equals(wanted)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * RLIMIT_NPROC, unless the kernel does not apply it to the master.
	 */
	static @Nullable Limit nprocLimit() {
		String limits = read(PROC_SELF.resolve("limits"));
		String status = read(PROC_SELF.resolve("status"));
		if (limits == null || status == null) {
			return null;
		}
		Long max = null;
		for (String line : limits.split("\n")) {
			if (line.startsWith("Max processes")) {
				String[] fields = line.substring("Max processes".length()).trim().split("\\s+");
				max = number(fields[0]);
			}
		}
		Long uid = field(status, "Uid:");
		if (max == null || uid == null || uid == 0 || exempt(status)) {
			return null;
		}
		return new Limit("RLIMIT_NPROC", max, userThreads(uid), "ulimit -u");
	}

	private static boolean exempt(String status) {
		for (String line : status.split("\n")) {
			if (line.startsWith("CapEff:")) {
				BigInteger capabilities = new BigInteger(line.substring("CapEff:".length()).trim(), 16);
				for (int capability : NPROC_EXEMPTING_CAPABILITIES) {
					if (capabilities.testBit(capability)) {
						return true;
					}
				}
			}
		}
		return false;
	}

	/**
	 * The threads of every process whose real user is the given one.
	 */
	private static long userThreads(long uid) {
		long threads = 0;
		for (long pid : ProcFs.pids()) {
			String status = read(ProcFs.PROC.resolve(pid + "/status"));
			if (status != null && Long.valueOf(uid).equals(field(status, "Uid:"))) {
				Long count = field(status, "Threads:");
				threads += (count != null) ? count : 1;
			}
		}
		return threads;
	}

	/**
	 * Every thread of the machine: {@code /proc/loadavg}'s count of scheduling entities.
	 */
	private static @Nullable Long machineThreads() {
		String loadavg = read(Path.of("/proc/loadavg"));
		if (loadavg == null) {
			return null;
		}
		String[] fields = loadavg.trim().split("\\s+");
		int slash = (fields.length > 3) ? fields[3].indexOf('/') : -1;
		return (slash > 0) ? number(fields[3].substring(slash + 1)) : null;
	}

	private static @Nullable Long statusField(Path status, String name) {
		String text = read(status);
		return (text != null) ? field(text, name) : null;
	}

	/** The first number of a {@code /proc/<pid>/status} line. */
	private static @Nullable Long field(String status, String name) {
		for (String line : status.split("\n")) {
			if (line.startsWith(name)) {
				String[] values = line.substring(name.length()).trim().split("\\s+");
				return number(values[0]);
			}
		}
		return null;
	}

	private static @Nullable Long number(@Nullable String text) {
		if (text == null) {
			return null;
		}
		try {
			return Long.parseLong(text.trim());
		}
		catch (NumberFormatException ex) {
			return null; // "max", "unlimited"
		}
	}

	/**
	 * Reads a small file of {@code /proc} or {@code /sys}. Not with {@code Files.readString}: for a
	 * sysctl file, which says it is empty, that returns only its first byte.
	 */
	private static @Nullable String read(Path file) {
		try (InputStream in = Files.newInputStream(file)) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/** Mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
	private static String unescape(String field) {
		return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
	}

	/**
	 * A limit on processes, and how much of it is in use.
	 *
	 * @param name its name ({@code pids.max})
	 * @param max its value
	 * @param used what counts against it now
	 * @param where where it is set ({@code /sys/fs/cgroup/pids/app/pids.max})
	 */
	record Limit(String name, long max, long used, String where) {

		long free() {
			return Math.max(0, this.max - this.used);
		}

		String describe() {
			return this.name + " (" + this.where + ") is " + this.max + " with " + this.used + " in use";
		}

	}

	/**
	 * Why a number of workers does not fit.
	 *
	 * @param limit the limit they do not fit
	 * @param workers how many more workers were asked for
	 * @param needed the pids they need, the headroom included
	 * @param headroom the pids kept for the master's own threads
	 * @param pidsPerWorker what each worker costs
	 * @param launcher the launcher's name
	 * @param fits how many more workers would fit
	 */
	record Refusal(Limit limit, long workers, long needed, long headroom, int pidsPerWorker, String launcher,
			long fits) {

		/**
		 * What is wrong: {@code 2000 more workers need 2064 pids (1 each with the native launcher,
		 * and 64 kept for the master's own threads), but pids.max (...) is 1500 with 37 in use}.
		 */
		String problem() {
			return this.workers + " more worker" + ((this.workers == 1) ? " needs " : "s need ") + this.needed
					+ " pids (" + this.pidsPerWorker + " each with the " + this.launcher + " launcher, and "
					+ this.headroom + " kept for the master's own threads), but " + this.limit.describe()
					+ ": at most " + this.fits + " more fit";
		}

	}

}
