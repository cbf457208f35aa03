// The simulation's future: events ordered by time in a binary heap over typed arrays, so millions
// of them cost no garbage collection. Equal times leave in the order they were pushed (a sequence
// number breaks ties), which keeps a seeded run repeatable.

export interface SimEvent {
  time: number;
  kind: number;
  viewer: number;
  segment: number;
  /** The viewer's generation when the event was made (a viewer that left and was replaced is another). */
  generation: number;
  /** A second viewer (the uploader of a transfer), or -1. */
  other: number;
  otherGeneration: number;
}

export class EventQueue {
  private capacity = 1024;
  private time = new Float64Array(this.capacity);
  private sequence = new Float64Array(this.capacity);
  private fields = new Int32Array(this.capacity * 6);
  private heap = new Int32Array(this.capacity);
  private free: number[] = [];
  private used = 0;
  private size = 0;
  private pushed = 0;

  push(time: number, kind: number, viewer: number, segment: number, generation: number, other = -1, otherGeneration = 0): void {
    const slot = this.free.pop() ?? this.used++;
    if (slot >= this.capacity) this.grow();
    this.time[slot] = time;
    this.sequence[slot] = this.pushed++;
    const base = slot * 6;
    this.fields[base] = kind;
    this.fields[base + 1] = viewer;
    this.fields[base + 2] = segment;
    this.fields[base + 3] = generation;
    this.fields[base + 4] = other;
    this.fields[base + 5] = otherGeneration;
    let at = this.size++;
    this.heap[at] = slot;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(slot, this.heap[parent]!)) break;
      this.heap[at] = this.heap[parent]!;
      this.heap[parent] = slot;
      at = parent;
    }
  }

  /** Removes the earliest event into `into`; false when none is left. */
  pop(into: SimEvent): boolean {
    if (this.size === 0) return false;
    const slot = this.heap[0]!;
    const fields = this.fields;
    const base = slot * 6;
    into.time = this.time[slot]!;
    into.kind = fields[base]!;
    into.viewer = fields[base + 1]!;
    into.segment = fields[base + 2]!;
    into.generation = fields[base + 3]!;
    into.other = fields[base + 4]!;
    into.otherGeneration = fields[base + 5]!;
    this.free.push(slot);
    const last = this.heap[--this.size]!;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.before(this.heap[right]!, this.heap[left]!) ? right : left;
      if (!this.before(this.heap[child]!, last)) break;
      this.heap[at] = this.heap[child]!;
      at = child;
    }
    this.heap[at] = last;
    return true;
  }

  private before(a: number, b: number): boolean {
    const ta = this.time[a]!;
    const tb = this.time[b]!;
    return ta < tb || (ta === tb && this.sequence[a]! < this.sequence[b]!);
  }

  private grow(): void {
    this.capacity *= 2;
    const time = new Float64Array(this.capacity);
    time.set(this.time);
    this.time = time;
    const sequence = new Float64Array(this.capacity);
    sequence.set(this.sequence);
    this.sequence = sequence;
    const fields = new Int32Array(this.capacity * 6);
    fields.set(this.fields);
    this.fields = fields;
    const heap = new Int32Array(this.capacity);
    heap.set(this.heap);
    this.heap = heap;
  }
}
