package io.cfork;

/**
 * Escapes control characters in what a worker printed before it reaches the master's log, as
 * journald does: a carriage return or an ANSI escape sequence must not overwrite the log's
 * {@code [worker N pid P]} prefix or draw a fake line on a terminal. Tabs are kept.
 */
final class ControlCharacters {

	private ControlCharacters() {
	}

	static String escape(String text) {
		int first = firstControl(text);
		if (first < 0) {
			return text;
		}
		StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, first);
		for (int i = first; i < text.length(); i++) {
			char c = text.charAt(i);
			if (!isControl(c)) {
				escaped.append(c);
			}
			else if (c == '\r') {
				escaped.append("\\r");
			}
			else if (c == '\n') {
				escaped.append("\\n");
			}
			else if (c < 0x100) {
				escaped.append(String.format("\\x%02x", (int) c));
			}
			else {
				escaped.append(String.format("\\u%04x", (int) c));
			}
		}
		return escaped.toString();
	}

	private static int firstControl(String text) {
		for (int i = 0; i < text.length(); i++) {
			if (isControl(text.charAt(i))) {
				return i;
			}
		}
		return -1;
	}

	/** C0 controls but tab, DEL, C1 controls, and the line and paragraph separators. */
	private static boolean isControl(char c) {
		return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
	}

}
