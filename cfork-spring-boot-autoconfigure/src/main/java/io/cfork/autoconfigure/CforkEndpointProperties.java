package io.cfork.autoconfigure;

import java.util.HashSet;
import java.util.Set;

import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the {@code cfork} endpoint ({@code management.endpoint.cfork.*}).
 */
@ConfigurationProperties("management.endpoint.cfork")
public class CforkEndpointProperties {

	/**
	 * When to show the workers' command arguments and 'cfork.env' values, which may hold secrets.
	 */
	private Show showValues = Show.NEVER;

	/**
	 * Roles used to determine whether a user is authorized to be shown values. When empty, all
	 * authenticated users are authorized.
	 */
	private final Set<String> roles = new HashSet<>();

	public Show getShowValues() {
		return this.showValues;
	}

	public void setShowValues(Show showValues) {
		this.showValues = showValues;
	}

	public Set<String> getRoles() {
		return this.roles;
	}

}
