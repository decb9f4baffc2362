/**
 * Every benchmark of the suite, in table order. Shared by bench/run.mjs and
 * the smoke test (through `node bench/run.mjs --smoke`).
 *
 *   name    the table name; the program is bench/programs/bench_NAME.erl
 *   arg     the N that main/1 gets in a real run
 *   small   the smallest N, for the smoke test (run with one iteration)
 *   kind    'time'     in-program time plus whole-process time
 *           'startup'  only the whole-process time counts (hello world)
 *           'metrics'  also prints METRIC lines, shown beside erl's
 *   rounds  at most this many rounds, whatever --rounds says (for the
 *           programs that already repeat their measurement inside)
 *   iters   iterations inside one run (main/1's second argument; default 5)
 *   smp     also run with 1 and with 2 schedulers on each VM (issue 6)
 *   what    one line for the README table
 */
export const BENCHMARKS = [
  { name: 'fib', arg: '27', small: '15', what: 'naive doubly recursive Fibonacci: calls, small-integer arithmetic' },
  { name: 'tak', arg: '24', small: '12', what: "Takeuchi's function: deep non-tail recursion, three arguments" },
  { name: 'nrev', arg: '500', small: '50', what: 'naive reverse with a hand-written append: cons allocation, GC' },
  { name: 'qsort', arg: '20000', small: '500', what: 'quicksort with list comprehensions and ++' },
  { name: 'nbody', arg: '10000', small: '100', what: 'n-body, 5 planets: float arithmetic in tuples, math:sqrt; exact bits of the energy' },
  { name: 'bintrees', arg: '15', small: '6', what: 'binary trees: allocation of short-lived and long-lived trees' },
  { name: 'fannkuch', arg: '8', small: '5', what: 'fannkuch-redux: all permutations, prefix reversals, lists:split/reverse' },
  { name: 'mandelbrot', arg: '120', small: '16', what: 'Mandelbrot bitmap built with bit syntax (1-bit fields, padding)' },
  { name: 'binary_ops', arg: '4096', small: '64', what: 'bit syntax: appends, comprehensions, odd-sized fields, matching' },
  { name: 'binsplit', arg: '6000', small: '100', what: 'binary:split/3 into lines, a bit-syntax field scanner, binary_to_integer' },
  { name: 'maps_ops', arg: '10000', small: '200', what: 'maps: build, put/get/find/is_key/remove, fold' },
  { name: 'sort', arg: '8000', small: '500', what: 'lists:sort/1 of integers, floats, tuples, sorted and reversed lists' },
  { name: 'string_ops', arg: '2000', small: '50', what: 'io_lib:format, string functions, list_to_integer/float' },
  { name: 'float_ops', arg: '200', small: '20', what: 'Mandelbrot iteration counts and a sqrt/division loop (floats)' },
  { name: 'ets_ops', arg: '10000', small: '100', what: 'ETS set and ordered_set: insert, lookup, update_counter, first/next' },
  { name: 'spawn_msg', arg: '1000', small: '20', what: 'a ring of 1000 fresh processes, token with a list 20 times around' },
  { name: 'ring', arg: '300000', small: '1000', smp: true, what: 'token ring: 100 processes pass an integer N hops' },
  { name: 'spawn', arg: '20000', small: '200', what: 'mass spawn: N processes each send one message and exit' },
  { name: 'pingpong', arg: '100000', small: '1000', smp: true, what: 'ping-pong: two processes exchange N messages' },
  { name: 'genserver', arg: '20000', small: '200', what: "gen_server:call round trips (OTP's gen_server)" },
  { name: 'parallel', arg: '29', small: '12', smp: true, what: 'two independent processes each compute fib(N) 6 times' },
  { name: 'hello', arg: '1', small: '1', kind: 'startup', rounds: 5, what: 'hello world: whole OS process from the shell (start-up)' },
  { name: 'processes', arg: '100000', small: '1000', kind: 'metrics', rounds: 2, iters: 3, what: 'issue 5: spawn time, idle process memory, round trip' },
  { name: 'gc', arg: '300000', small: '5000', kind: 'metrics', rounds: 2, iters: 3, what: 'issue 7: long-lived large heap with churn; longest step, long_gc' },
  { name: 'gc_latency', arg: '3000000', small: '5000', kind: 'metrics', rounds: 2, iters: 1, what: 'issue 7: round trips of two processes while a third collects a ~100 MB heap' },
].map((b) => ({ kind: 'time', rounds: Infinity, smp: false, ...b, module: `bench_${b.name}` }));

/**
 * Targets for the figures of the metrics programs (issue 5), shown beside
 * the measured values. `check(beamjs, erl)` says whether beamjs meets it.
 */
export const TARGETS = {
  'processes.spawn_us': { text: '≤ 3 µs', check: (b) => b <= 3 },
  'processes.idle_bytes': { text: '≤ 1 KB', check: (b) => b <= 1024 },
  'processes.roundtrip_us': { text: '≤ 2× erl', check: (b, e) => b <= 2 * e },
  'gc_latency.rt_p99_us': { text: '< 1 ms', check: (b) => b < 1000 },
};
