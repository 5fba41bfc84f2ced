package io.cfork;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ErrorLines}, with what real runtimes print when they die.
 */
class ErrorLinesTests {

	@Test
	void nodeUnhandledListenError() {
		assertThat(best("node:events:497", "      throw er; // Unhandled 'error' event", "      ^", "",
				"Error: listen EADDRINUSE: address already in use :::3001",
				"    at Server.setupListenHandle [as _listen2] (node:net:1937:16)",
				"Emitted 'error' event on Server instance at:", "    at emitErrorNT (node:net:1916:8)", "  code: 'EADDRINUSE',",
				"}", "", "Node.js v20.20.2"))
			.isEqualTo("Error: listen EADDRINUSE: address already in use :::3001");
	}

	@Test
	void nodeMissingModule() {
		assertThat(best("node:internal/modules/cjs/loader:1228", "  throw err;", "  ^", "",
				"Error: Cannot find module '/srv/app/worker.js'", "    at Module._resolveFilename (node:internal)",
				"  code: 'MODULE_NOT_FOUND',", "}", "", "Node.js v20.20.2"))
			.isEqualTo("Error: Cannot find module '/srv/app/worker.js'");
	}

	@Test
	void javaExceptionWithCause() {
		assertThat(best("Exception in thread \"main\" java.lang.IllegalStateException: cannot start",
				"\tat com.example.Worker.main(Worker.java:12)", "Caused by: java.net.BindException: Address already in use",
				"\tat java.base/sun.nio.ch.Net.bind0(Native Method)", "\t... 3 more"))
			.isEqualTo("Caused by: java.net.BindException: Address already in use");
	}

	@Test
	void pythonTraceback() {
		assertThat(best("Traceback (most recent call last):", "  File \"worker.py\", line 1, in <module>",
				"    import missing", "ModuleNotFoundError: No module named 'missing'"))
			.isEqualTo("ModuleNotFoundError: No module named 'missing'");
	}

	@Test
	void goPanic() {
		assertThat(best("panic: runtime error: index out of range [3] with length 3", "", "goroutine 1 [running]:",
				"main.main()", "\t/src/main.go:8 +0x1d", "exit status 2"))
			.isEqualTo("panic: runtime error: index out of range [3] with length 3");
	}

	@Test
	void otherwiseTheLastLineThatIsNotBlank() {
		assertThat(best("starting", "cannot open config.yml", "", "  ")).isEqualTo("cannot open config.yml");
		assertThat(best()).isNull();
	}

	private static String best(String... lines) {
		ErrorLines errorLines = new ErrorLines();
		List.of(lines).forEach(errorLines::add);
		return errorLines.best();
	}

}
