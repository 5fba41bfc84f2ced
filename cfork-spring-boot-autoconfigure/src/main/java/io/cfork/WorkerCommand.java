package io.cfork;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * What each worker runs: an executable with arguments, or a Java main class in a child JVM.
 */
public final class WorkerCommand {

	static final String SPRING_BOOT_LAUNCHER = "org.springframework.boot.loader.launch.PropertiesLauncher";

	private final @Nullable String executable;

	private final @Nullable String mainClass;

	private final @Nullable String classPath;

	private final List<String> jvmArgs;

	private final List<String> args;

	private WorkerCommand(@Nullable String executable, @Nullable String mainClass, @Nullable String classPath,
			List<String> jvmArgs, List<String> args) {
		this.executable = executable;
		this.mainClass = mainClass;
		this.classPath = classPath;
		this.jvmArgs = List.copyOf(jvmArgs);
		this.args = List.copyOf(args);
	}

	/**
	 * Runs an executable.
	 * @param executable a path, or a name to look up on {@code PATH}
	 * @param args its arguments
	 * @return the command
	 */
	public static WorkerCommand exec(String executable, List<String> args) {
		return new WorkerCommand(executable, null, null, List.of(), args);
	}

	/**
	 * Runs a main class in a child JVM: this JVM's {@code java}, without this JVM's options.
	 * <p>
	 * With no class path given, workers get this JVM's class path. When this JVM runs from an
	 * executable Spring Boot jar ({@code java -jar app.jar}), whose classes are nested in
	 * {@code BOOT-INF/classes}, workers run the same jar through Spring Boot's
	 * {@code PropertiesLauncher} with {@code -Dloader.main}, so the main class is found as it is in
	 * the master.
	 * @param mainClass the fully qualified main class
	 * @param classPath the class path, or {@code null} for this JVM's
	 * @param jvmArgs options for the child JVM
	 * @param args arguments to the main class
	 * @return the command
	 */
	public static WorkerCommand java(String mainClass, @Nullable String classPath, List<String> jvmArgs,
			List<String> args) {
		return new WorkerCommand(null, mainClass, classPath, jvmArgs, args);
	}

	/**
	 * Whether this command runs a Java main class.
	 * @return whether it runs a main class
	 */
	public boolean isJava() {
		return this.mainClass != null;
	}

	/**
	 * The full command line a worker runs.
	 * @return the command line
	 */
	public List<String> commandLine() {
		if (this.executable != null) {
			List<String> line = new ArrayList<>(this.args.size() + 1);
			line.add(this.executable);
			line.addAll(this.args);
			return List.copyOf(line);
		}
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String path = (this.classPath != null) ? this.classPath : absolute(System.getProperty("java.class.path", ""));
		List<String> line = new ArrayList<>();
		line.add(java);
		line.addAll(this.jvmArgs);
		line.add("-cp");
		line.add(path);
		if (isSpringBootJar(path)) {
			line.add("-Dloader.main=" + this.mainClass);
			line.add(SPRING_BOOT_LAUNCHER);
		}
		else {
			line.add(this.mainClass);
		}
		line.addAll(this.args);
		return List.copyOf(line);
	}

	/**
	 * The values given to the command that may hold secrets: its arguments, and a Java worker's
	 * JVM options.
	 * @return the values
	 */
	List<String> arguments() {
		List<String> arguments = new ArrayList<>(this.jvmArgs);
		arguments.addAll(this.args);
		return arguments;
	}

	/**
	 * Checks that the command can run: the executable exists and may be executed, or the main class
	 * is on this JVM's class path.
	 * @param workingDirectory where a relative executable path is resolved, or {@code null}
	 * @param env extra environment for workers (its {@code PATH}, if any, is searched)
	 * @param classLoader where to look for the main class when no class path is given
	 * @throws InvalidPoolOptionException if it cannot run
	 */
	void validate(@Nullable Path workingDirectory, Map<String, String> env, @Nullable ClassLoader classLoader) {
		if (this.executable != null) {
			validateExecutable(this.executable, workingDirectory, env);
		}
		else {
			validateMainClass(this.mainClass, classLoader, workingDirectory);
		}
	}

	private void validateExecutable(String executable, @Nullable Path workingDirectory, Map<String, String> env) {
		if (executable.isBlank()) {
			throw new InvalidPoolOptionException("exec", executable, "must not be blank",
					"Set {exec} to the worker's executable: a path or a name on PATH.");
		}
		if (executable.contains(File.separator)) {
			Path path = Path.of(executable);
			if (!path.isAbsolute() && workingDirectory != null) {
				path = workingDirectory.resolve(path);
			}
			if (Files.isDirectory(path)) {
				throw new InvalidPoolOptionException("exec", executable, "is a directory: " + path.toAbsolutePath(),
						"Set {exec} to an executable file, not a directory (a relative path is resolved against the "
								+ "working directory), or to a name on PATH.");
			}
			if (!Files.isRegularFile(path)) {
				throw new InvalidPoolOptionException("exec", executable, "no such file: " + path.toAbsolutePath(),
						"Set {exec} to an existing executable file (a relative path is resolved against the working "
								+ "directory), or to a name on PATH.");
			}
			if (!Files.isExecutable(path)) {
				throw new InvalidPoolOptionException("exec", executable,
						"not executable: " + path.toAbsolutePath(),
						"Make the file executable (chmod +x), or set {exec} to an interpreter and pass the file in {args}.");
			}
			validateInterpreter(executable, path, env);
			return;
		}
		// A PATH given in env may be a secret like any env value: named, never quoted.
		boolean workersPath = env.containsKey("PATH");
		String searchPath = workersPath ? env.get("PATH") : System.getenv("PATH");
		Path found = onPath(executable, searchPath);
		if (found != null) {
			validateInterpreter(executable, found, env);
			return;
		}
		throw new InvalidPoolOptionException("exec", executable,
				"no executable of that name on PATH (" + (workersPath ? "env.PATH, its value not shown"
						: "the master's: " + searchPath) + ")",
				"Install it, set {exec} to its absolute path, or add its folder to PATH ({env.PATH} for workers).");
	}

	private static @Nullable Path onPath(String executable, @Nullable String searchPath) {
		if (searchPath == null) {
			return null;
		}
		for (String dir : searchPath.split(File.pathSeparator)) {
			Path candidate = Path.of(dir.isEmpty() ? "." : dir, executable);
			if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
				return candidate;
			}
		}
		return null;
	}

	/**
	 * A script runs only if the interpreter its {@code #!} line names exists: the kernel's exec
	 * fails otherwise with "no such file", naming the script, not the interpreter. For
	 * {@code #!/usr/bin/env node}, {@code node} must be on PATH.
	 */
	private static void validateInterpreter(String executable, Path script, Map<String, String> env) {
		String line = firstLine(script);
		if (line == null || !line.startsWith("#!")) {
			return;
		}
		String[] words = line.substring(2).trim().split("[ \t]+");
		String interpreter = words[0];
		if (interpreter.isEmpty()) {
			return;
		}
		Path path = Path.of(interpreter);
		if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
			throw new InvalidPoolOptionException("exec", executable,
					"its interpreter " + interpreter + " (the #! line of " + script.toAbsolutePath()
							+ ") does not exist or is not executable",
					"Install " + interpreter + ", or fix the #! line of the script {exec} names.");
		}
		if (path.getFileName().toString().equals("env") && words.length > 1 && !words[1].startsWith("-")
				&& !words[1].contains("=")) {
			String command = words[1];
			boolean workersPath = env.containsKey("PATH");
			if (!command.contains(File.separator)
					&& onPath(command, workersPath ? env.get("PATH") : System.getenv("PATH")) == null) {
				throw new InvalidPoolOptionException("exec", executable,
						"its interpreter " + command + " (the #! line of " + script.toAbsolutePath()
								+ ") is not on " + (workersPath ? "the workers' PATH (env.PATH)" : "the master's PATH"),
						"Install " + command + ", add its folder to PATH ({env.PATH} for workers), or fix the #! line "
								+ "of the script {exec} names.");
			}
		}
	}

	/** The first line of a file, if it starts like a script; {@code null} if unreadable. */
	private static @Nullable String firstLine(Path file) {
		try (InputStream in = Files.newInputStream(file)) {
			byte[] head = in.readNBytes(256);
			if (head.length < 2 || head[0] != '#' || head[1] != '!') {
				return null;
			}
			String text = new String(head, StandardCharsets.UTF_8);
			int end = text.indexOf('\n');
			return (end >= 0) ? text.substring(0, end) : text;
		}
		catch (IOException ex) {
			return null;
		}
	}

	/**
	 * Each entry of a given class path exists: the JVM skips one that does not, and the worker then
	 * dies young with a {@code ClassNotFoundException}. A wildcard ({@code lib/*}) needs its folder.
	 */
	private static void validateClassPath(String classPath, @Nullable Path workingDirectory) {
		for (String entry : classPath.split(File.pathSeparator)) {
			if (entry.isEmpty()) {
				continue;
			}
			Path path = Path.of(entry.endsWith("*") ? entry.substring(0, entry.length() - 1) + "." : entry);
			if (!path.isAbsolute() && workingDirectory != null) {
				path = workingDirectory.resolve(path);
			}
			if (!Files.exists(path)) {
				throw new InvalidPoolOptionException("java.class-path", classPath,
						"no such file or directory: " + path.toAbsolutePath().normalize(),
						"Set {java.class-path} to existing jars and folders (a relative entry is resolved against the "
								+ "working directory), or remove it to use the master's class path.");
			}
		}
	}

	private void validateMainClass(@Nullable String mainClass, @Nullable ClassLoader classLoader,
			@Nullable Path workingDirectory) {
		if (mainClass == null || mainClass.isBlank()) {
			throw new InvalidPoolOptionException("java.main-class", mainClass, "must not be blank",
					"Set {java.main-class} to the fully qualified name of the worker's main class.");
		}
		if (this.classPath != null) {
			validateClassPath(this.classPath, workingDirectory);
			return;
		}
		if (classLoader == null) {
			return;
		}
		try {
			Class.forName(mainClass, false, classLoader);
		}
		catch (ClassNotFoundException | LinkageError ex) {
			throw new InvalidPoolOptionException("java.main-class", mainClass, "no such class on the class path",
					"Check the class name in {java.main-class}, or set {java.class-path} to where the class lives.");
		}
	}

	/**
	 * The master's class path with each entry made absolute: workers may run in another working
	 * directory.
	 */
	private static String absolute(String classPath) {
		return Arrays.stream(classPath.split(File.pathSeparator))
			.filter((entry) -> !entry.isEmpty())
			.map((entry) -> Path.of(entry).toAbsolutePath().toString())
			.collect(Collectors.joining(File.pathSeparator));
	}

	static boolean isSpringBootJar(String classPath) {
		if (classPath.contains(File.pathSeparator) || !classPath.endsWith(".jar")) {
			return false;
		}
		try (JarFile jar = new JarFile(classPath)) {
			Manifest manifest = jar.getManifest();
			return manifest != null && manifest.getMainAttributes().getValue("Spring-Boot-Classes") != null;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Names what runs without its arguments, which may hold secrets: {@code node}, or
	 * {@code java main class com.example.Worker}.
	 * @return a description for logs
	 */
	public String describe() {
		return (this.executable != null) ? this.executable : "java main class " + this.mainClass;
	}

	@Override
	public String toString() {
		return describe();
	}

}
