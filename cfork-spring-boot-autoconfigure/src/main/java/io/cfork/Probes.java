package io.cfork;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Runs the pool's {@code port} and {@code http} checks, readiness and liveness, on one thread for
 * the whole pool: {@code port} reads {@code /proc} there; {@code http} sends from there and
 * completes on the same thread, one request in flight per worker. Results go back to the
 * supervisor, which alone changes the pool.
 */
final class Probes implements AutoCloseable {

	private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

	private final ScheduledThreadPoolExecutor executor;

	private final HttpClient http;

	Probes(String threadName) {
		this.executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
		this.executor.setRemoveOnCancelPolicy(true);
		this.http = HttpClient.newBuilder()
			.executor(this.executor)
			// Plain HTTP/1.1, as a kubelet probes: no h2c upgrade offered on every check.
			.version(HttpClient.Version.HTTP_1_1)
			.followRedirects(HttpClient.Redirect.NEVER)
			.connectTimeout(Duration.ofSeconds(5))
			.build();
	}

	/**
	 * Runs a check of one worker every {@code period}, one at a time, until cancelled.
	 * @param check what to check
	 * @param period between the starts of two checks
	 * @param timeout one check's time limit
	 * @param result receives {@code null} when a check passed, else why it failed; on the probes'
	 * thread
	 * @return the schedule, to cancel
	 */
	ScheduledFuture<?> every(Check check, Duration period, Duration timeout, Consumer<@Nullable String> result) {
		AtomicBoolean inFlight = new AtomicBoolean();
		return this.executor.scheduleAtFixedRate(() -> {
			if (inFlight.compareAndSet(false, true)) {
				run(check, timeout).whenComplete((failure, ex) -> {
					inFlight.set(false);
					result.accept((ex != null) ? describe(ex) : failure);
				});
			}
		}, 0, period.toNanos(), TimeUnit.NANOSECONDS);
	}

	private CompletableFuture<@Nullable String> run(Check check, Duration timeout) {
		if (check.url() != null) {
			HttpRequest request = HttpRequest.newBuilder(URI.create(check.url())).timeout(timeout).GET().build();
			return this.http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
				.thenApply((response) -> (response.statusCode() / 100 == 2) ? null : "HTTP " + response.statusCode());
		}
		boolean listening = ListeningSockets.listens(check.pid(), check.port());
		return CompletableFuture.completedFuture(listening ? null : "not listening on port " + check.port());
	}

	private static String describe(Throwable ex) {
		Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
		if (cause instanceof HttpTimeoutException) {
			return "timed out";
		}
		if (cause instanceof java.net.ConnectException) {
			return "connection refused";
		}
		if (cause instanceof IOException) {
			return (cause.getMessage() != null) ? cause.getMessage() : cause.getClass().getSimpleName();
		}
		return String.valueOf(cause);
	}

	@Override
	public void close() {
		this.executor.shutdownNow();
	}

	/**
	 * A URL with its placeholders resolved for one worker: {@code {index}}, and any variable of the
	 * worker's environment in braces.
	 * @param url the URL as configured
	 * @param index the worker's slot index
	 * @param env the worker's variables
	 * @return the worker's URL
	 */
	static String resolve(String url, int index, Map<String, String> env) {
		Matcher matcher = PLACEHOLDER.matcher(url);
		StringBuilder resolved = new StringBuilder();
		while (matcher.find()) {
			String name = matcher.group(1);
			String value = "index".equals(name) ? Integer.toString(index) : env.getOrDefault(name, "");
			matcher.appendReplacement(resolved, Matcher.quoteReplacement(value));
		}
		return matcher.appendTail(resolved).toString();
	}

	/**
	 * Whether a check looks at the given port: its own port, or its URL's.
	 */
	static boolean checksPort(@Nullable Integer port, @Nullable String url, int listenPort) {
		if (port != null) {
			return port == listenPort;
		}
		if (url == null) {
			return false;
		}
		try {
			return URI.create(resolve(url, 0, Map.of())).getPort() == listenPort;
		}
		catch (IllegalArgumentException ex) {
			return false;
		}
	}

	static void requirePort(String probe, @Nullable Integer port) {
		if (port == null) {
			throw new InvalidPoolOptionException(probe + ".port", null, "is required by " + probe + " type port",
					"Set {" + probe + ".port} to the TCP port the worker listens on.");
		}
		if (port < 1 || port > 65535) {
			throw new InvalidPoolOptionException(probe + ".port", port, "ports range from 1 to 65535",
					"Set {" + probe + ".port} to a TCP port from 1 to 65535.");
		}
	}

	static void requireUrl(String probe, @Nullable String url, Set<String> workerVariables) {
		if (url == null || url.isBlank()) {
			throw new InvalidPoolOptionException(probe + ".url", url, "is required by " + probe + " type http",
					"Set {" + probe + ".url} to the URL a GET of which answers 2xx once the worker serves, such as "
							+ "http://localhost:{PORT}/health.");
		}
		Matcher matcher = PLACEHOLDER.matcher(url);
		while (matcher.find()) {
			String name = matcher.group(1);
			if (!"index".equals(name) && !workerVariables.contains(name)) {
				throw new InvalidPoolOptionException(probe + ".url", url,
						"{" + name + "} names no variable a worker will have",
						"In {" + probe + ".url}, put in braces only index or the name of a variable of {env} (or "
								+ "of the master's environment).");
			}
		}
		URI uri;
		try {
			uri = URI.create(resolve(url, 0, Map.of()).replace(" ", "%20"));
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidPoolOptionException(probe + ".url", url, "is not a URL: " + ex.getMessage(),
					"Set {" + probe + ".url} to an http:// URL.");
		}
		if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
			throw new InvalidPoolOptionException(probe + ".url", url, "is not an http or https URL",
					"Set {" + probe + ".url} to an http:// URL, such as http://localhost:{PORT}/health.");
		}
	}

	/**
	 * What one check looks at: an HTTP URL, or a port the worker listens on.
	 *
	 * @param pid the worker
	 * @param port the port, for a port check
	 * @param url the worker's URL, for an http check
	 */
	record Check(long pid, int port, @Nullable String url) {
	}

}
