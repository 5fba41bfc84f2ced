package io.cfork.workers;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot web application, the same as master ({@code cfork.*} set) and as worker (started
 * by that master): answers with its pid, its socket-activation variables, when it was ready and
 * its web server;
 * {@code POST /broken} publishes {@link LivenessState#BROKEN}.
 */
@SpringBootApplication(proxyBeanMethods = false)
@RestController
public class WebWorkerApplication {

	private final ApplicationContext context;

	private volatile Instant readyAt;

	WebWorkerApplication(ApplicationContext context) {
		this.context = context;
	}

	@EventListener(ApplicationReadyEvent.class)
	void ready() {
		this.readyAt = Instant.now();
	}

	@GetMapping("/")
	Map<String, String> hello() {
		Map<String, String> answer = new LinkedHashMap<>();
		answer.put("pid", Long.toString(ProcessHandle.current().pid()));
		answer.put("listenPid", System.getenv().getOrDefault("LISTEN_PID", ""));
		answer.put("listenFds", System.getenv().getOrDefault("LISTEN_FDS", ""));
		answer.put("readyAt", String.valueOf(this.readyAt));
		answer.put("server", ((WebServerApplicationContext) this.context).getWebServer().getClass().getSimpleName());
		return answer;
	}

	@PostMapping("/broken")
	String broken() {
		AvailabilityChangeEvent.publish(this.context, LivenessState.BROKEN);
		return Long.toString(ProcessHandle.current().pid());
	}

	public static void main(String[] args) {
		SpringApplication.run(WebWorkerApplication.class, args);
	}

}
