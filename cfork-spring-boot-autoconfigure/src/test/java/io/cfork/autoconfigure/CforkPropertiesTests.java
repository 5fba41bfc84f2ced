package io.cfork.autoconfigure;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CforkProperties}: what IDE completion shows a user.
 */
class CforkPropertiesTests {

	private static final List<String> CONTRACT = List.of("cfork.enabled", "cfork.exec", "cfork.args",
			"cfork.java.main-class", "cfork.java.class-path", "cfork.java.jvm-args", "cfork.count", "cfork.refork",
			"cfork.stop-exit-codes", "cfork.limit", "cfork.duration", "cfork.backoff.initial", "cfork.backoff.max",
			"cfork.min-uptime", "cfork.env", "cfork.working-directory", "cfork.silent", "cfork.shutdown-timeout",
			"cfork.log.stdout-level", "cfork.log.stderr-level", "cfork.launcher", "cfork.readiness.type",
			"cfork.readiness.port",
			"cfork.readiness.url", "cfork.readiness.log-pattern", "cfork.readiness.timeout", "cfork.readiness.interval",
			"cfork.liveness.type", "cfork.liveness.port", "cfork.liveness.url", "cfork.liveness.period",
			"cfork.liveness.timeout", "cfork.liveness.failure-threshold", "cfork.increment-env", "cfork.listen",
			"cfork.listen-stdin", "cfork.reload.strategy", "cfork.reload.batch-size", "cfork.resources.interval",
			"cfork.max-memory", "cfork.max-lifetime", "cfork.max-lifetime-jitter");

	@Test
	void everyPropertyOfTheContractHasMetadataWithADescription() throws Exception {
		List<Map<String, Object>> properties = metadata();
		assertThat(properties).extracting((property) -> property.get("name"))
			.containsAll(CONTRACT);
		assertThat(properties).filteredOn((property) -> CONTRACT.contains(property.get("name")))
			.allSatisfy((property) -> assertThat((String) property.get("description")).as("%s", property.get("name"))
				.isNotBlank()
				.doesNotStartWith("The ")
				.endsWith("."));
	}

	@Test
	void metadataShowsTheDefaults() throws Exception {
		Map<Object, Object> defaults = new java.util.HashMap<>();
		metadata().forEach((property) -> defaults.put(property.get("name"), property.get("defaultValue")));
		assertThat(defaults).containsEntry("cfork.enabled", true)
			.containsEntry("cfork.refork", true)
			.containsEntry("cfork.limit", 60)
			.containsEntry("cfork.duration", "60s")
			.containsEntry("cfork.backoff.initial", "100ms")
			.containsEntry("cfork.backoff.max", "30s")
			.containsEntry("cfork.min-uptime", "5s")
			.containsEntry("cfork.silent", false)
			.containsEntry("cfork.shutdown-timeout", "10s")
			.containsEntry("cfork.log.stdout-level", "info")
			.containsEntry("cfork.log.stderr-level", "warn")
			.containsEntry("cfork.launcher", "auto")
			.containsEntry("cfork.readiness.type", "none")
			.containsEntry("cfork.readiness.timeout", "60s")
			.containsEntry("cfork.readiness.interval", "100ms")
			.containsEntry("cfork.liveness.type", "none")
			.containsEntry("cfork.liveness.period", "10s")
			.containsEntry("cfork.liveness.timeout", "1s")
			.containsEntry("cfork.liveness.failure-threshold", 3)
			.containsEntry("cfork.reload.strategy", "start-first")
			.containsEntry("cfork.reload.batch-size", 1)
			.containsEntry("cfork.resources.interval", "5s");
	}

	@Test
	void theHealthIndicatorsSwitchIsDocumented() throws Exception {
		assertThat(metadata("$.properties[?(@.name == 'management.health.cfork.enabled')]")).singleElement()
			.satisfies((property) -> {
				assertThat(property).containsEntry("type", "java.lang.Boolean").containsEntry("defaultValue", true);
				assertThat((String) property.get("description")).startsWith("Whether to enable");
			});
	}

	private static List<Map<String, Object>> metadata() throws Exception {
		return metadata("$.properties[?(@.name =~ /cfork\\..*/)]");
	}

	private static List<Map<String, Object>> metadata(String path) throws Exception {
		List<Map<String, Object>> properties = new java.util.ArrayList<>();
		for (Resource resource : new PathMatchingResourcePatternResolver()
			.getResources("classpath*:META-INF/spring-configuration-metadata.json")) {
			try (InputStream in = resource.getInputStream()) {
				properties.addAll(JsonPath.parse(in).read(path));
			}
		}
		return properties;
	}

}
