/**
 * Deep copy of a term into another heap, for messages (and anything else
 * that moves a term between processes).
 *
 * Semantics are OTP's copy_struct: sharing inside the term is not kept (a
 * subterm reached twice is copied twice), so the copy's size is the size of
 * the term as a tree. Both passes are linear in that output size: the size
 * pass walks the tree with an explicit stack, and the copy pass is a Cheney
 * scan over the destination block (each object is copied shallow to the top
 * of the block, then the scan pointer replaces its term words by copies of
 * what they point to). Neither pass recurses, so depth costs no JS stack.
 *
 * Off-heap binaries are not duplicated: the new ProcBin points at the same
 * block, whose reference count goes up by one, and is linked into the
 * destination's off-heap list (`dest.linkOffHeap`). Its flags word is
 * cleared: a writable ProcBin (an append buffer, vm/term/bits.ts) stays
 * writable only for its owner.
 *
 * Literals: with no `isLocalToSource`, everything is copied, module literals
 * included (simple and always safe, whatever later happens to the module).
 * A caller that knows where the source's own memory is may pass
 * `isLocalToSource(addr)`: objects at addresses for which it returns false
 * (module literals, which are immutable and outlive the message only while the
 * module is loaded) are then shared, not copied.
 */
import { PB_FLAGS } from '../vm/term/bits.js';
import type { TermContext } from '../vm/term/heap.js';
import type { Builder } from '../vm/term/make.js';
import { SUB_REFC_BINARY, type Term, headerSubtag, isBoxed, isHeader, isList, makeBoxed, makeList, ptrVal } from '../vm/term/tags.js';
import { PROCBIN_BLOCK_OFFSET, PROCBIN_NEXT_OFFSET, objectLayout, objectWords } from './collect.js';

/** Scratch for objectLayout in sizeOfTerm (which never re-enters itself). */
const sizeLayout = new Int32Array(4);

/** Whether an object at this address belongs to the source (is to be copied). */
export type IsLocalToSource = (addr: number) => boolean;

/** The words copyTerm(ctx, t, ...) allocates: the size of t as a tree (shared subterms counted each time). */
export function sizeOfTerm(ctx: TermContext, t: Term, isLocalToSource?: IsLocalToSource): number {
  if (!isList(t) && !isBoxed(t)) return 0;
  ctx.mem.refresh();
  const w = ctx.mem.i32;
  const r = sizeLayout;
  const todo: Term[] = [t];
  let words = 0;
  while (todo.length > 0) {
    let x = todo.pop()!;
    // Follow a list along its tails here; heads go on the stack.
    while (isList(x)) {
      const a = ptrVal(x);
      if (isLocalToSource !== undefined && !isLocalToSource(a)) break;
      words += 2;
      const head = w[a]!;
      if (isList(head) || isBoxed(head)) todo.push(head);
      x = w[a + 1]!;
    }
    if (!isBoxed(x)) continue;
    const a = ptrVal(x);
    if (isLocalToSource !== undefined && !isLocalToSource(a)) continue;
    words += objectLayout(w, a, w[a]!, r);
    for (let i = r[0]!, end = r[1]!; i < end; i++) {
      const y = w[i]!;
      if (isList(y) || isBoxed(y)) todo.push(y);
    }
    for (let i = r[2]!, end = r[3]!; i < end; i++) {
      const y = w[i]!;
      if (isList(y) || isBoxed(y)) todo.push(y);
    }
  }
  return words;
}

/**
 * A copy of t built in `dest` with one allocation of sizeOfTerm(ctx, t)
 * words (`knownSize` when the caller has computed it already); returns the copy's term (t itself when it is an immediate or not
 * local to the source).
 */
export function copyTerm(ctx: TermContext, t: Term, dest: Builder, isLocalToSource?: IsLocalToSource, knownSize?: number): Term {
  if (!isList(t) && !isBoxed(t)) return t;
  const size = knownSize ?? sizeOfTerm(ctx, t, isLocalToSource);
  if (size === 0) return t;
  const base = dest.alloc(size);
  const mem = ctx.mem;
  mem.refresh(); // the allocation may have grown the memory
  const w = mem.i32;
  let hp = base;

  // Copies the cell or object t points at to hp (its term words still the source's); returns the new pointer.
  const shallow = (x: Term): Term => {
    const list = isList(x);
    if (!list && !isBoxed(x)) return x;
    const a = ptrVal(x);
    if (isLocalToSource !== undefined && !isLocalToSource(a)) return x;
    const n = hp;
    if (list) {
      w[n] = w[a]!;
      w[n + 1] = w[a + 1]!;
      hp = n + 2;
      return makeList(n);
    }
    const words = objectWords(w, a, w[a]!);
    if (words <= 8) for (let i = 0; i < words; i++) w[n + i] = w[a + i]!;
    else w.copyWithin(n, a, a + words);
    hp = n + words;
    return makeBoxed(n);
  };

  const root = shallow(t);
  const r = new Int32Array(4);
  for (let s = base; s < hp; ) {
    const word = w[s]!;
    if (!isHeader(word)) {
      // a cons cell
      w[s] = shallow(word);
      w[s + 1] = shallow(w[s + 1]!);
      s += 2;
      continue;
    }
    const words = objectLayout(w, s, word, r);
    for (let i = r[0]!, end = r[1]!; i < end; i++) w[i] = shallow(w[i]!);
    for (let i = r[2]!, end = r[3]!; i < end; i++) w[i] = shallow(w[i]!);
    if (headerSubtag(word) === SUB_REFC_BINARY) {
      Atomics.add(w, w[s + PROCBIN_BLOCK_OFFSET]!, 1);
      w[s + PROCBIN_NEXT_OFFSET] = 0;
      // A writable (append buffer) ProcBin becomes an ordinary one in the copy: only its owner appends in place.
      w[s + PB_FLAGS] = 0;
      dest.linkOffHeap?.(s);
    }
    s += words;
  }
  if (hp !== base + size) throw new Error(`copyTerm: copied ${hp - base} words, sized ${size}`);
  return root;
}
