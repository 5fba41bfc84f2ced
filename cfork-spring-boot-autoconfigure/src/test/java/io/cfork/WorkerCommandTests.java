package io.cfork;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link WorkerCommand}.
 */
class WorkerCommandTests {

	private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

	@Test
	void anExecutableIsNotJava() {
		WorkerCommand command = WorkerCommand.exec("node", List.of("worker.js", "--port=3001"));
		assertThat(command.isJava()).isFalse();
		assertThat(command.commandLine()).containsExactly("node", "worker.js", "--port=3001");
		assertThat(command.describe()).isEqualTo("node");
	}

	@Test
	void aMainClassIsJavaAndRunsInThisJvmsJava() {
		WorkerCommand command = WorkerCommand.java("com.example.Worker", "/opt/app/classes", List.of("-Xmx32m"),
				List.of("--name=a"));
		assertThat(command.isJava()).isTrue();
		assertThat(command.commandLine()).containsExactly(JAVA, "-Xmx32m", "-cp", "/opt/app/classes",
				"com.example.Worker", "--name=a");
		assertThat(command.describe()).isEqualTo("java main class com.example.Worker");
	}

	@Test
	void aMainClassWithoutAClassPathGetsTheMastersWithAbsoluteEntries() {
		WorkerCommand command = WorkerCommand.java("com.example.Worker", null, List.of(), List.of());
		List<String> line = command.commandLine();
		assertThat(line).startsWith(JAVA, "-cp").endsWith("com.example.Worker");
		assertThat(Arrays.asList(line.get(2).split(File.pathSeparator)))
			.isNotEmpty()
			.allSatisfy((entry) -> assertThat(Path.of(entry)).isAbsolute());
	}

	@Test
	void describesWithoutArguments() {
		assertThat(WorkerCommand.exec("sh", List.of("-c", "secret")).toString()).isEqualTo("sh");
	}

}
