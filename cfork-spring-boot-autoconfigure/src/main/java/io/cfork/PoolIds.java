package io.cfork;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Random pool ids: 16 hex digits, enough that two pools on one machine never share one.
 */
final class PoolIds {

	private static final SecureRandom random = new SecureRandom();

	private PoolIds() {
	}

	static String random() {
		byte[] bytes = new byte[8];
		random.nextBytes(bytes);
		return HexFormat.of().formatHex(bytes);
	}

}
