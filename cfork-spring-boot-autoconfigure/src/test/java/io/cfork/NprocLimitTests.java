package io.cfork;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A master under {@code RLIMIT_NPROC} ({@code ulimit -u}), as shared hosts set per user. The kernel
 * exempts root, and a process with {@code CAP_SYS_RESOURCE} or {@code CAP_SYS_ADMIN}: the master
 * runs with a real user of its own (which the limit counts by) and without those two capabilities,
 * its effective user still root so that it can read the build's class path.
 */
class NprocLimitTests extends LimitedMasterTests {

	/** A user no account or process of this machine has. */
	private static final long USER = 61_234;

	@BeforeEach
	void noProcessOfTheUser() {
		if (realUser(ProcessHandle.current().pid()) != 0) {
			String reason = "NprocLimitTests cannot run here: starting the master as another user needs root";
			System.err.println("WARNING: " + reason);
			Assumptions.abort(reason);
		}
		assertThat(members()).as("processes of user " + USER + " before the test").isEmpty();
	}

	@Override
	List<String> confine(int max) {
		return List.of("setpriv", "--ruid", Long.toString(USER), "--bounding-set=-sys_resource,-sys_admin",
				"--inh-caps=-all", "--", "prlimit", "--nproc=" + max, "--");
	}

	@Override
	List<Long> members() {
		List<Long> members = new ArrayList<>();
		for (long pid : ProcFs.pids()) {
			if (realUser(pid) == USER) {
				members.add(pid);
			}
		}
		return members;
	}

	@Override
	String limitName() {
		return "RLIMIT_NPROC";
	}

	private static long realUser(long pid) {
		try {
			for (String line : Files.readAllLines(ProcFs.PROC.resolve(pid + "/status"))) {
				if (line.startsWith("Uid:")) {
					return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Gone.
		}
		return -1;
	}

}
