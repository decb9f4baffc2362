/**
 * Erlang terms as plain JavaScript values, for data that lives outside a
 * process heap: literals and attributes read from a .beam file, the result
 * of decoding the external term format, disassembler output.
 *
 * These are NOT the VM's run-time terms (those are tagged 32-bit words in
 * shared memory, see vm/term/). This model is what the loader hands over; the
 * code loader turns it into words in a module's literal area.
 *
 *   integer        bigint          (always bigint, so 1 and 1.0 never meet)
 *   float          number
 *   atom           Atom            (interned: compare with ===)
 *   []             []              (the empty JS array)
 *   proper list    ETerm[]         (non-empty array)
 *   improper list  ImproperList    (items + a tail that is not a list)
 *   tuple          Tuple
 *   bitstring      Bitstring       (a binary when bitLength % 8 === 0)
 *   map            EMap            (entries in the VM's iteration order, see eterm_hash.ts)
 *   pid/port/ref   Pid, Port, Ref
 *   fun            ExportFun, LocalFun
 */

export type ETerm =
  | bigint
  | number
  | Atom
  | ETerm[]
  | ImproperList
  | Tuple
  | Bitstring
  | EMap
  | Pid
  | Port
  | Ref
  | ExportFun
  | LocalFun;

export class Atom {
  private static readonly table = new Map<string, Atom>();
  private constructor(readonly name: string) {}

  /** The one Atom object for this name. */
  static of(name: string): Atom {
    let atom = Atom.table.get(name);
    if (atom === undefined) {
      atom = new Atom(name);
      Atom.table.set(name, atom);
    }
    return atom;
  }

  toString(): string {
    return this.name;
  }
}

/** Shorthand for `Atom.of`. */
export const atom = (name: string): Atom => Atom.of(name);

/** A tuple; `T` is the type of its elements (the embedding API's `Value`s use the same class, vm/values.ts). */
export class Tuple<T = ETerm> {
  constructor(readonly elements: NoInfer<T>[]) {}
}

/** A list whose last tail is not `[]`: `[a, b | c]`. `items` is never empty. */
export class ImproperList<T = ETerm> {
  constructor(
    readonly items: NoInfer<T>[],
    readonly tail: NoInfer<T>,
  ) {}
}

/**
 * A binary or bitstring. Bits are stored most significant first; when
 * `bitLength` is not a multiple of 8 the last byte holds the remaining bits
 * in its high-order positions (the low-order bits are zero), exactly as the
 * external term format's BIT_BINARY_EXT stores them.
 */
export class Bitstring {
  constructor(
    readonly bytes: Uint8Array,
    readonly bitLength: number = bytes.length * 8,
  ) {}

  get isBinary(): boolean {
    return this.bitLength % 8 === 0;
  }
}

/** A map; `keys[i]` maps to `values[i]`, in the order the real VM iterates (and ~w prints) them. */
export class EMap {
  constructor(
    readonly keys: ETerm[],
    readonly values: ETerm[],
  ) {}

  get size(): number {
    return this.keys.length;
  }
}

export class Pid {
  constructor(
    readonly node: Atom,
    readonly id: number,
    readonly serial: number,
    readonly creation: number,
  ) {}
}

export class Port {
  constructor(
    readonly node: Atom,
    readonly id: bigint,
    readonly creation: number,
  ) {}
}

export class Ref {
  constructor(
    readonly node: Atom,
    /** The id words, least significant first, as in the external format. */
    readonly ids: number[],
    readonly creation: number,
  ) {}
}

/** `fun M:F/A`. */
export class ExportFun {
  constructor(
    readonly module: Atom,
    readonly name: Atom,
    readonly arity: number,
  ) {}
}

/** A local fun (closure) as NEW_FUN_EXT describes it. */
export class LocalFun {
  constructor(
    readonly module: Atom,
    readonly arity: number,
    readonly uniq: Uint8Array,
    readonly index: number,
    readonly oldIndex: number,
    readonly oldUniq: number,
    readonly pid: Pid,
    readonly freeVars: ETerm[],
  ) {}
}

export const isInteger = (t: ETerm): t is bigint => typeof t === 'bigint';
export const isFloat = (t: ETerm): t is number => typeof t === 'number';
export const isList = (t: ETerm): t is ETerm[] => Array.isArray(t);

/** A position inside a list: element `i` of `items`, then the rest of `items`, then `tail`. */
export class ListCursor {
  constructor(
    readonly items: ETerm[],
    readonly i: number,
    readonly tail: ETerm,
  ) {}
}

/**
 * The list `items[i..]` followed by `tail`, as a cursor at its next element,
 * or the final tail itself once no element is left (`[]` for a proper list).
 * Nested list tails (`[a | [b | c]]` held as an ImproperList whose tail is a
 * list) are followed, so walkers see one flat sequence of elements.
 */
export function listFrom(items: ETerm[], i: number, tail: ETerm): ListCursor | ETerm {
  for (;;) {
    if (i < items.length) return new ListCursor(items, i, tail);
    if (Array.isArray(tail)) {
      if (tail.length === 0) return tail;
      items = tail;
      i = 0;
      tail = [];
    } else if (tail instanceof ImproperList) {
      items = tail.items;
      i = 0;
      tail = tail.tail;
    } else {
      return tail;
    }
  }
}
