package io.cfork;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * Workers' environments as {@code posix_spawn} takes them ({@code envp}): the variables every worker
 * shares (mostly the master's own) are encoded once; each spawn encodes only its worker's own and
 * copies the whole into one native block, in two native writes, instead of one native string per
 * variable. Pointers are 8 bytes: {@link Launchers} admits only x86_64 and aarch64.
 */
final class NativeEnvironment {

	private final String[] names;

	/** {@code name=value\0}, in the native charset, for each shared variable. */
	private final byte[][] entries;

	/**
	 * @param shared the variables every worker gets, unless its own override them
	 */
	NativeEnvironment(Map<String, String> shared) {
		this.names = new String[shared.size()];
		this.entries = new byte[shared.size()][];
		int i = 0;
		for (Map.Entry<String, String> variable : shared.entrySet()) {
			this.names[i] = variable.getKey();
			this.entries[i++] = encode(variable.getKey(), variable.getValue());
		}
	}

	/**
	 * One worker's {@code envp}: the shared variables, then its own, which win over shared ones
	 * of the same name.
	 * @param own the worker's own variables
	 * @return the native block, pointers first, which the caller closes once the worker is spawned
	 */
	Memory block(Map<String, String> own) {
		List<byte[]> entries = new ArrayList<>(this.entries.length + own.size());
		for (int i = 0; i < this.names.length; i++) {
			if (!own.containsKey(this.names[i])) {
				entries.add(this.entries[i]);
			}
		}
		own.forEach((name, value) -> entries.add(encode(name, value)));
		int pointers = (entries.size() + 1) * Long.BYTES;
		int size = 0;
		for (byte[] entry : entries) {
			size += entry.length;
		}
		byte[] strings = new byte[size];
		long[] addresses = new long[entries.size() + 1];
		Memory block = new Memory(pointers + size);
		long base = Pointer.nativeValue(block) + pointers;
		int offset = 0;
		for (int i = 0; i < entries.size(); i++) {
			byte[] entry = entries.get(i);
			System.arraycopy(entry, 0, strings, offset, entry.length);
			addresses[i] = base + offset;
			offset += entry.length;
		}
		// The last pointer stays 0: the array's end.
		block.write(0, addresses, 0, addresses.length);
		block.write(pointers, strings, 0, size);
		return block;
	}

	private static byte[] encode(String name, String value) {
		byte[] text = (name + "=" + value).getBytes(LinuxLibc.NATIVE_CHARSET);
		byte[] entry = new byte[text.length + 1];
		System.arraycopy(text, 0, entry, 0, text.length);
		return entry;
	}

}
