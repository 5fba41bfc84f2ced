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
 * The pool itself ({@code io.cfork}, not its sub-packages) is usable from plain Java: none of its
 * classes refers to a Spring type.
 */
class CoreIndependenceTests {

	@Test
	void coreClassesReferToNoSpringType() throws IOException, URISyntaxException {
		Path core = Path.of(WorkerPoolManager.class.getProtectionDomain().getCodeSource().getLocation().toURI())
			.resolve("io/cfork");
		List<Path> classes;
		try (Stream<Path> files = Files.list(core)) {
			classes = files.filter((file) -> file.toString().endsWith(".class")).toList();
		}
		assertThat(classes).hasSizeGreaterThan(20);
		assertThat(classes).allSatisfy((file) -> assertThat(
				new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
			.as("references in %s", file.getFileName())
			.doesNotContain("org/springframework/"));
	}

}
