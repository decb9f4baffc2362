/**
 * GC stress: fixtures run with `gcStress: true`, which collects at every
 * allocation point (allocate, allocate_heap, test_heap, the bit syntax
 * construction instructions), minor collections with promotion to the old
 * heap and fullsweeps both. Each must print exactly what the real erl printed
 * (the stored .out files, which test/fixtures checks against erl).
 *
 * The subset covers every instruction that allocates: lists and tuples
 * (put_list, put_tuple2, test_heap), frames (allocate*), funs (make_fun3,
 * call_fun), bignums and floats (gc_bif arithmetic, fmove to the heap), the
 * bit syntax (bs_create_bin, bs_init*, bs_append, bs_private_append,
 * bs_get_binary, match states, sub-binaries, off-heap binaries), maps (flat
 * and HAMT: put_map_assoc/exact), exceptions (raise, build_stacktrace,
 * try/catch), messages (remove_message adopting fragments), the process
 * dictionary, timers, ETS copies, and records.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VM } from '../../vm/vm.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const ERLANG = [
  'lists_basic', 'list_comp', 'erlang_tuples', 'records_nested', 'closures_hof', 'closures_recursion',
  'bignum_arith', 'bignum_bitops', 'float_format', 'math_funcs',
  'bits_construct', 'bits_match', 'bits_comprehension', 'bits_subbin', 'bits_utf', 'bits_odd', 'binary_mod', 'base64_mod',
  'maps_small', 'maps_large', 'maps_nested',
  'exc_stacktrace', 'exc_raise', 'exc_classes',
  'proc_msg_order', 'proc_selective_receive', 'proc_dict', 'proc_ring_10', 'proc_receive_after', 'proc_pmap',
  'ets_binaries', 'ets_set_basic', 'erlang_t2b', 'io_format_pretty', 'string_mod', 'unicode_convert',
  'prog_huffman', 'prog_bintree', 'prog_json', 'gb_trees_mod', 'gc_api', 'gc_max_heap',
  // Not recursion_deep: a collection at every allocation scans its 100,000-frame stack each time (quadratic).
];
const ELIXIR = ['enum_basics', 'binary_matching', 'structs', 'proc_messages', 'string_unicode'];

const camel = (s: string): string => s.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

function run(dir: string, module: string, fun: string): { stdout: string; status: number | string } {
  const chunks: Uint8Array[] = [];
  const vm = new VM({ codePath: [dir], stdout: (b) => chunks.push(b.slice()), gcStress: true });
  const { status } = vm.runMain(module, fun, []);
  return { stdout: Buffer.concat(chunks).toString('latin1'), status };
}

describe('fixtures under GC stress (a collection at every allocation point)', () => {
  for (const name of ERLANG) {
    it(`erlang/${name}`, { timeout: 60_000 }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      const dir = join(root, 'fixtures/erlang');
      const { stdout, status } = run(dir, name, 'start');
      expect(stdout).toBe(readFileSync(join(dir, `${name}.out`)).toString('latin1'));
      expect(status).toBe(0);
    });
  }
  for (const name of ELIXIR) {
    it(`elixir/${name}`, { timeout: 60_000 }, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      const dir = join(root, 'fixtures/elixir');
      const { stdout, status } = run(dir, `Elixir.Fixture.${camel(name)}`, 'main');
      expect(stdout).toBe(readFileSync(join(dir, `${name}.out`)).toString('latin1'));
      expect(status).toBe(0);
    });
  }
});
