package io.cfork;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ControlCharacters}.
 */
class ControlCharactersTests {

	@Test
	void leavesPrintableTextAndTabsAlone() {
		String text = "listening on :3001\tpid=42 — ok ünïcode";
		assertThat(ControlCharacters.escape(text)).isSameAs(text);
	}

	@Test
	void escapesCarriageReturnsAndAnsiSequences() {
		assertThat(ControlCharacters.escape("progress 10%\rprogress 100%")).isEqualTo("progress 10%\\rprogress 100%");
		assertThat(ControlCharacters.escape("\u001b[2K\u001b[1Gfake line")).isEqualTo("\\x1b[2K\\x1b[1Gfake line");
		assertThat(ControlCharacters.escape("bell\u0007 del\u007f c1\u009b")).isEqualTo("bell\\x07 del\\x7f c1\\x9b");
		assertThat(ControlCharacters.escape("a\u2028b\nc")).isEqualTo("a\\u2028b\\nc");
	}

}
