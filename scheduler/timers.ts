/**
 * A scheduler's timers: a binary min-heap of deadlines (performance.now()
 * milliseconds). Entries are never removed from the middle: a cancelled or
 * superseded timer is left in place and skipped when it comes out (its
 * owner's sequence number no longer matches), so set, cancel and fire are
 * all O(log n).
 */
export interface TimerEntry {
  at: number;
  /** What the owner checks to see whether the entry is still current. */
  seq: number;
  /** The owner's payload: a process (receive timeout) or a timer id (erlang timers). */
  target: unknown;
}

export class TimerHeap {
  private readonly heap: TimerEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The earliest deadline, or Infinity. */
  get next(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.at;
  }

  push(e: TimerEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  /** Removes and returns the earliest entry due at `now`, or undefined. */
  popDue(now: number): TimerEntry | undefined {
    const h = this.heap;
    if (h.length === 0 || h[0]!.at > now) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
        if (h[c]!.at >= last.at) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
