package io.cfork;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pool itself ({@code io.cfork}, not its sub-packages) and the worker's API
 * ({@code io.cfork.worker}) are usable from plain Java: none of their classes refers to a Spring
 * type.
 */
class CoreIndependenceTests {

	@Test
	void coreClassesReferToNoSpringType() throws IOException, URISyntaxException {
		List<Path> classes = classes("io/cfork");
		assertThat(classes).hasSizeGreaterThan(20);
		assertNoSpringReference(classes);
	}

	@Test
	void workerClassesReferToNoSpringType() throws IOException, URISyntaxException {
		List<Path> classes = classes("io/cfork/worker");
		assertThat(classes).hasSizeGreaterThan(2);
		assertNoSpringReference(classes);
	}

	private static List<Path> classes(String packagePath) throws IOException, URISyntaxException {
		Path directory = Path.of(WorkerPoolManager.class.getProtectionDomain().getCodeSource().getLocation().toURI())
			.resolve(packagePath);
		try (Stream<Path> files = Files.list(directory)) {
			return files.filter((file) -> file.toString().endsWith(".class")).toList();
		}
	}

	private static void assertNoSpringReference(List<Path> classes) {
		assertThat(classes).allSatisfy((file) -> assertThat(
				new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
			.as("references in %s", file.getFileName())
			.doesNotContain("org/springframework/"));
	}

}
