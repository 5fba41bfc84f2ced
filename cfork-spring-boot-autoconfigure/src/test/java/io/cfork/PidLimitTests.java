package io.cfork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;

/**
 * A master under a cgroup's {@code pids.max}, as containers have: a cgroup of the {@code pids}
 * controller of its own.
 */
class PidLimitTests extends LimitedMasterTests {

	private @Nullable Path cgroup;

	@BeforeEach
	void createCgroup() throws IOException {
		Path pids = pidsHierarchy();
		if (pids == null) {
			String reason = "PidLimitTests cannot run here: no writable cgroup v1 'pids' hierarchy and no cgroup v2 "
					+ "root with the pids controller (as root: mount -t cgroup -o pids none /sys/fs/cgroup/pids)";
			System.err.println("WARNING: " + reason);
			Assumptions.abort(reason);
		}
		this.cgroup = Files.createDirectory(pids.resolve("cfork-test-" + UUID.randomUUID()));
	}

	@Override
	void nothingLeft() throws IOException {
		if (this.cgroup != null) {
			Files.delete(this.cgroup);
		}
	}

	@Override
	List<String> confine(int max) throws IOException {
		Files.writeString(this.cgroup.resolve("pids.max"), Integer.toString(max));
		return List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", this.cgroup.resolve("cgroup.procs").toString());
	}

	@Override
	List<Long> members() throws IOException {
		if (this.cgroup == null) {
			return List.of();
		}
		return Files.readAllLines(this.cgroup.resolve("cgroup.procs")).stream()
			.filter((line) -> !line.isBlank())
			.map(Long::parseLong)
			.toList();
	}

	@Override
	String limitName() {
		return "pids.max";
	}

	/**
	 * A place to create a cgroup with a {@code pids.max}: the v1 {@code pids} hierarchy, or the v2
	 * root when it delegates the pids controller.
	 */
	private static @Nullable Path pidsHierarchy() {
		Path v1 = Path.of("/sys/fs/cgroup/pids");
		if (Files.isWritable(v1.resolve("cgroup.procs"))) {
			return v1;
		}
		for (Path v2 : List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"))) {
			try {
				if (Files.readString(v2.resolve("cgroup.subtree_control")).contains("pids")
						&& Files.isWritable(v2.resolve("cgroup.procs"))) {
					return v2;
				}
			}
			catch (IOException ex) {
				// Not this one.
			}
		}
		return null;
	}

}
