package io.cfork;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

/**
 * The pool's slots by index, with the counts a snapshot needs. Touched only on the supervisor
 * thread; the lists it returns are copies, safe to iterate while slots are added or removed.
 */
final class Slots {

	private final TreeMap<Integer, Slot> byIndex = new TreeMap<>();

	Slot add(int index) {
		Slot slot = new Slot(index);
		this.byIndex.put(index, slot);
		return slot;
	}

	@Nullable Slot get(int index) {
		return this.byIndex.get(index);
	}

	/**
	 * Whether the slot is still the pool's (not removed by a scale-down).
	 */
	boolean holds(Slot slot) {
		return this.byIndex.get(slot.index) == slot;
	}

	void remove(Slot slot) {
		this.byIndex.remove(slot.index, slot);
	}

	List<Slot> all() {
		return new ArrayList<>(this.byIndex.values());
	}

	/** The slots below {@code count}. */
	List<Slot> below(int count) {
		return new ArrayList<>(this.byIndex.headMap(count).values());
	}

	/** The slots at {@code count} and above. */
	List<Slot> from(int count) {
		return new ArrayList<>(this.byIndex.tailMap(count).values());
	}

	int alive() {
		return (int) this.byIndex.values().stream().filter(Slot::isAlive).count();
	}

	int ready() {
		return (int) this.byIndex.values().stream().filter((slot) -> slot.is(SlotState.RUNNING)).count();
	}

	boolean allReady() {
		return this.byIndex.values().stream().allMatch((slot) -> slot.is(SlotState.RUNNING));
	}

	List<WorkerSnapshot> snapshots() {
		return this.byIndex.values().stream().map(Slot::snapshot).toList();
	}

}
