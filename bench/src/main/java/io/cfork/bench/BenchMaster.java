package io.cfork.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

/**
 * A minimal master for the benchmark: a Spring Boot application with the starter and
 * {@code cfork.exec=node}, configured on the command line by bench/run.py.
 */
@SpringBootApplication
public class BenchMaster {

	public static void main(String[] args) {
		SpringApplication.run(BenchMaster.class, args);
	}

	/**
	 * Writes {@code pool-start} (epoch ms) into the ready folder just before the pool forks (the
	 * phase right before the pool's), so JVM and Spring start-up are told apart from the pool's work.
	 */
	@Bean
	SmartLifecycle poolStartMarker(@Value("${cfork.env.BENCH_READY_DIR}") String readyDir) {
		return new SmartLifecycle() {

			private volatile boolean running;

			@Override
			public void start() {
				try {
					Files.writeString(Path.of(readyDir, "pool-start"), Long.toString(System.currentTimeMillis()));
				}
				catch (IOException ex) {
					throw new UncheckedIOException(ex);
				}
				this.running = true;
			}

			@Override
			public void stop() {
				this.running = false;
			}

			@Override
			public boolean isRunning() {
				return this.running;
			}

			@Override
			public int getPhase() {
				return Integer.MAX_VALUE - 1;
			}

		};
	}

}
