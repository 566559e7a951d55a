// Where each window of a secret's forms was indexed, by the window's 32-bit
// hash: what the redactor (secrets.ts) and the leak scanner (scanner.ts) each
// look a text's windows up in. Plain data in typed arrays, not a Map of
// numbers and arrays (issue #15): a thousand profiles index more than a
// million windows, and a Map entry, its boxed number and its array of
// collisions took ~50 bytes each where this takes ~16, plus its slot. The redactor and the
// scanner each hold an index of their own; only the data structure is shared.

/** Fewer slots than this are never allocated (a registry of one secret holds about 120 windows). */
const INITIAL_SLOTS = 1 << 10;

/**
 * An index as it was at one moment, for another thread to read without a
 * copy (the leak scan's worker thread, scan-workers.ts): its arrays live in
 * shared memory. The index it was taken from only ever appends, so what the
 * snapshot saw never changes: entries added later (numbered `entries` and
 * up) are written to slots and list ends that were free or ended then, and
 * a reader of the snapshot takes them for free and ended still; growing
 * moves the writer to new arrays, leaving these as they were.
 */
export interface WindowIndexSnapshot {
  readonly slots: Int32Array;
  readonly hashes: Int32Array;
  readonly items: Int32Array;
  readonly offsets: Int32Array;
  readonly nexts: Int32Array;
  readonly shift: number;
  readonly entries: number;
}

/** An array of `length` numbers in memory another thread can read (a snapshot hands it over without a copy). */
function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * A multimap from a window's hash to the (item, offset) pairs indexed under
 * it, in the order they were added: the redactor and the scanner visit a
 * hash's pairs in that order, which decides which of two equal matches they
 * report first.
 *
 * Entries are numbered from 0 in the order they are added. The table is open
 * addressed (linear probing) and holds, for each distinct hash, its first
 * entry; the others with the same hash follow it through `nexts`.
 */
export class WindowIndex {
  /** Per slot: 1 + the first entry of the hash that lives there, 0 for a free slot. */
  private slots = sharedInts(INITIAL_SLOTS);
  private hashes = sharedInts(INITIAL_SLOTS);
  private items = sharedInts(INITIAL_SLOTS);
  private offsets = sharedInts(INITIAL_SLOTS);
  /** Per entry: 1 + the next entry with the same hash, 0 for the last. */
  private nexts = sharedInts(INITIAL_SLOTS);
  /** 32 − log2 of the slot count: a hash's slot is the top bits of its mix (slotOf). */
  private shift = 32 - Math.log2(INITIAL_SLOTS);
  private entries = 0;
  private distinct = 0;
  /** Read from a snapshot (another thread's index): nothing can be added. */
  private readOnly = false;

  /** The index as it is now, for another thread to read (WindowIndexSnapshot). */
  snapshot(): WindowIndexSnapshot {
    const { slots, hashes, items, offsets, nexts, shift, entries } = this;
    return { slots, hashes, items, offsets, nexts, shift, entries };
  }

  /** An index that reads a snapshot another thread took (WindowIndex.snapshot), as it was then. */
  static fromSnapshot(snapshot: WindowIndexSnapshot): WindowIndex {
    const index = new WindowIndex();
    index.slots = snapshot.slots;
    index.hashes = snapshot.hashes;
    index.items = snapshot.items;
    index.offsets = snapshot.offsets;
    index.nexts = snapshot.nexts;
    index.shift = snapshot.shift;
    index.entries = snapshot.entries;
    index.readOnly = true;
    return index;
  }

  /** How many (item, offset) pairs are indexed. */
  get size(): number {
    return this.entries;
  }

  /** Indexes `offset` in `item` under the window hash `hash` (a 32-bit integer). */
  add(hash: number, item: number, offset: number): void {
    if (this.readOnly) throw new Error('an index read from a snapshot cannot be added to');
    if (this.entries === this.items.length) this.growEntries();
    const entry = this.entries++;
    this.hashes[entry] = hash;
    this.items[entry] = item;
    this.offsets[entry] = offset;
    this.nexts[entry] = 0;
    let last = this.first(hash);
    if (last >= 0) {
      // Appended at the end of its hash's list: the lists are short (the windows near-miss keys share with the key).
      while (this.nexts[last] !== 0) last = this.nexts[last]! - 1;
      this.nexts[last] = entry + 1;
      return;
    }
    // At most half the slots taken, so a probe ends quickly at a free one.
    if ((this.distinct + 1) * 2 > this.slots.length) this.growSlots();
    this.place(hash, entry);
    this.distinct++;
  }

  /** The first entry indexed under `hash`, or -1 when none is. */
  first(hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let s = slotOf(hash, this.shift); ; s = (s + 1) & mask) {
      const held = slots[s]!;
      // An entry added after this index's snapshot was taken (see WindowIndexSnapshot) is a slot still free.
      if (held === 0 || held > this.entries) return -1;
      if (this.hashes[held - 1] === hash) return held - 1;
    }
  }

  /** The entry after `entry` with the same hash, or -1 after the last. */
  next(entry: number): number {
    const next = this.nexts[entry]!;
    // An entry added after this index's snapshot was taken (see WindowIndexSnapshot) is past the end of the list.
    return next > this.entries ? -1 : next - 1;
  }

  item(entry: number): number {
    return this.items[entry]!;
  }

  offset(entry: number): number {
    return this.offsets[entry]!;
  }

  private place(hash: number, entry: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let s = slotOf(hash, this.shift);
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = entry + 1;
  }

  private growSlots(): void {
    const old = this.slots;
    this.slots = sharedInts(old.length * 2);
    this.shift--;
    for (const held of old) if (held !== 0) this.place(this.hashes[held - 1]!, held - 1);
  }

  private growEntries(): void {
    const grown = (a: Int32Array) => {
      const b = sharedInts(a.length * 2);
      b.set(a);
      return b;
    };
    this.hashes = grown(this.hashes);
    this.items = grown(this.items);
    this.offsets = grown(this.offsets);
    this.nexts = grown(this.nexts);
  }
}

/** A slot for a hash: the top bits of the hash mixed (Fibonacci hashing), so every bit of the hash counts. */
function slotOf(hash: number, shift: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> shift;
}
