/**
 * `erlang` BIFs about the system rather than terms: erlang:display/1 and
 * display_string/1, the error-raising BIFs, node/nodes/is_alive,
 * system_info/1, bump_reductions/1, time (monotonic, system, offset, unit
 * conversion, calendar time and the local/universal conversions), and the
 * `os` BIFs for the environment and clocks. Checked against erl in
 * test/bifs/erlang_system.test.ts.
 *
 * Time follows the real VM's model: native time unit = nanosecond;
 * monotonic time starts near -2^59 ns (erlang:system_info(start_time)) and
 * runs on process.hrtime; the time offset is fixed at start-up (the VM's
 * "no time warp" mode), so system_time = monotonic_time + time_offset.
 */
import { gcSystemFlag } from './erlang_gc.js';
import { schedulerSystemFlag } from './scheduler_stats.js';
import { writeSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { defineBifs } from './registry.js';
import { listArg, stringArg } from './erlang_util.js';
import type { Process } from '../vm/process.js';
import { CLASS_ERROR, ErlangException, badarg, erlError, erlExit, erlThrow } from '../vm/errors.js';
import { ATOM_FALSE, ATOM_TRUE, ATOM_UNDEFINED, commonAtom } from '../vm/term/atoms.js';
import { displayText } from '../vm/term/display.js';
import { intValue, isTuple, mkInt, mkList, mkString, mkTuple2, mkTuple3, tupleElements } from '../vm/term/make.js';
import {
  NIL,
  SUB_EXTERNAL_PID,
  SUB_EXTERNAL_PORT,
  SUB_EXTERNAL_REF,
  SUB_REF,
  type Term,
  headerSubtag,
  isAtom,
  isBoxed,
  isLocalPid,
  isLocalPort,
  makeSmall,
  ptrVal,
} from '../vm/term/tags.js';

// ---------------------------------------------------------------- display

/** Where erlang:display/1 (fd 1) and display_string/1 (fd 2) write. */
export type DisplayWriter = (fd: 1 | 2, bytes: Uint8Array) => void;

const writeFd: DisplayWriter = (fd, bytes) => {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
};
let displayWriter: DisplayWriter = writeFd;

/** Redirects erlang:display output (the VM points it at its own stdout/stderr); no argument restores the default. */
export function setDisplayWriter(fn: DisplayWriter = writeFd): void {
  displayWriter = fn;
}

/**
 * The bytes of text of one character per byte, with every LF written as
 * CR LF: the real VM's printf adds the CR on standard output and error
 * (what `erl -noshell` prints, and what the fixtures hold).
 */
function crlfBytes(bytes: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) out.push(0x0d);
    out.push(b);
  }
  return Uint8Array.from(out);
}

/** displayText's characters are bytes. */
const latin1Codes = (s: string): number[] => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

// ---------------------------------------------------------------- errors

/**
 * erlang:error/2,3: the reason, the argument list the top frame shows, and
 * (error/3) the error_info option's value, for the interpreter's stack trace.
 */
export class ErlangErrorWithArgs extends ErlangException {
  constructor(
    reason: Term,
    args: Term,
    /** The value of the {error_info, Map} option of error/3, or undefined. */
    readonly errorInfo: Term | undefined,
  ) {
    super(CLASS_ERROR, reason, undefined, args);
  }
}

/** The error_info option of erlang:error/3's options, if they are a proper list holding one. */
function errorInfoOption(p: Process, opts: Term): Term | undefined {
  let items: Term[];
  try {
    items = listArg(p, opts);
  } catch {
    return undefined;
  }
  const errorInfo = commonAtom('error_info');
  let found: Term | undefined;
  for (const o of items) {
    if (isTuple(p, o)) {
      const el = tupleElements(p, o);
      if (el.length === 2 && el[0] === errorInfo) found = el[1];
    }
  }
  return found;
}

// ---------------------------------------------------------------- nodes

const NONODE = commonAtom('nonode@nohost');

function nodeOf(p: Process, t: Term): Term {
  if (isLocalPid(t) || isLocalPort(t)) return NONODE;
  if (isBoxed(t)) {
    const at = ptrVal(t);
    const sub = headerSubtag(p.mem.i32[at]!);
    if (sub === SUB_REF) return NONODE;
    if (sub === SUB_EXTERNAL_PID || sub === SUB_EXTERNAL_PORT || sub === SUB_EXTERNAL_REF) return p.mem.i32[at + 1]!;
  }
  throw badarg();
}

// ---------------------------------------------------------------- system_info

/**
 * Limits and counts system_info reports. The schedulers are not here: they
 * are read from the VM's shared scheduler state (one scheduler until worker
 * threads run the VM). beamjs has no dirty schedulers; it reports the real
 * VM's default numbers of them, which no process ever runs on.
 */
export const systemConfig = {
  dirtyCpuSchedulers: availableParallelism(),
  processLimit: 262144,
  portLimit: 65536,
  etsLimit: 8192,
  atomLimit: 1048576,
  dirtyIoSchedulers: 10,
};

export function configureSystemInfo(c: Partial<typeof systemConfig>): void {
  Object.assign(systemConfig, c);
}

const OTP_RELEASE = '25';
const ERTS_VERSION = '13.1.5';
const SYSTEM_ARCHITECTURE = 'x86_64-pc-linux-gnu';
const NATIVE_PER_SECOND = 1_000_000_000n;
/** The real VM's monotonic time at start: about -2^59 ns (system_info(start_time)). */
const START_MONOTONIC = -576460752000000000n;
/** The real VM's end_time (the largest monotonic time it represents). */
const END_MONOTONIC = 8646911283000000000n;

function systemInfo(p: Process, item: Term): Term {
  const c = systemConfig;
  if (isTuple(p, item)) {
    const el = tupleElements(p, item);
    if (el.length === 2 && isAtom(el[0]!) && p.atoms.name(el[0]!) === 'wordsize' && isAtom(el[1]!)) {
      const which = p.atoms.name(el[1]!);
      if (which === 'internal' || which === 'external') return makeSmall(8);
    }
    throw badarg();
  }
  if (!isAtom(item)) throw badarg();
  const a = (name: string): Term => p.atoms.intern(name);
  const n = (v: number | bigint): Term => mkInt(p, v);
  const s = (text: string): Term => mkString(p, text);
  const dirty = `${c.dirtyCpuSchedulers}:${c.dirtyCpuSchedulers}`;
  switch (p.atoms.name(item)) {
    case 'wordsize':
      return n(8);
    case 'otp_release':
      return s(OTP_RELEASE);
    case 'version':
      return s(ERTS_VERSION);
    case 'machine':
      return s('BEAM');
    case 'system_architecture':
      return s(SYSTEM_ARCHITECTURE);
    case 'system_version':
      return s(`Erlang/OTP ${OTP_RELEASE} [erts-${ERTS_VERSION}] [source] [64-bit] [smp:${p.vm.schedulers.count}:${p.vm.schedulers.online}] [ds:${dirty}:${c.dirtyIoSchedulers}] [async-threads:1]\n`);
    case 'schedulers':
      return n(p.vm.schedulers.count);
    case 'schedulers_online':
      return n(p.vm.schedulers.online);
    case 'dirty_cpu_schedulers':
    case 'dirty_cpu_schedulers_online':
      return n(c.dirtyCpuSchedulers);
    case 'dirty_io_schedulers':
      return n(c.dirtyIoSchedulers);
    case 'logical_processors':
    case 'logical_processors_online':
      // The machine's processors; os.cpus() is empty where /proc is not readable.
      return n(cpus().length || availableParallelism());
    case 'logical_processors_available':
      // Those this process may run on (its CPU affinity).
      return n(availableParallelism());
    case 'thread_pool_size':
      return n(1);
    case 'atom_count':
      return n(p.atoms.count);
    case 'atom_limit':
      return n(c.atomLimit);
    case 'process_limit':
      return n(c.processLimit);
    case 'port_limit':
      return n(c.portLimit);
    case 'ets_limit':
      return n(c.etsLimit);
    case 'hipe_architecture':
      return ATOM_UNDEFINED;
    case 'smp_support':
    case 'threads':
    case 'kernel_poll':
      return ATOM_TRUE;
    case 'debug_compiled':
      return ATOM_FALSE;
    case 'heap_type':
      return a('private');
    case 'compat_rel':
      return n(25);
    case 'dist_ctrl':
      return NIL;
    case 'creation':
      return n(0);
    case 'start_time':
      return n(START_MONOTONIC);
    case 'end_time':
      return n(END_MONOTONIC);
    case 'time_offset':
      return a('final');
    case 'time_warp_mode':
      return a('no_time_warp');
    case 'tolerant_timeofday':
      return a('enabled');
    case 'multi_scheduling':
      return a('enabled');
    case 'nif_version':
      return s('2.16');
    case 'driver_version':
      return s('3.3');
    case 'build_type':
    case 'emu_type':
      return a('opt');
    case 'emu_flavor':
      return a('emu');
    case 'system_logger':
      return p.vm.systemLogger;
    case 'min_heap_size':
      return mkTuple2(p, a('min_heap_size'), n(233));
    case 'min_bin_vheap_size':
      return mkTuple2(p, a('min_bin_vheap_size'), n(46422));
    case 'fullsweep_after':
      return mkTuple2(p, a('fullsweep_after'), n(65535));
    case 'message_queue_data':
      return a('on_heap');
    case 'os_type':
      return mkTuple2(p, a('unix'), a(platform() === 'linux' ? 'linux' : platform()));
    case 'os_version': {
      // The kernel release's first three numbers, as the real VM reads them from uname.
      const parts = release().split(/[^0-9]+/).filter((x) => x !== '').map(Number);
      return mkTuple3(p, n(parts[0] ?? 0), n(parts[1] ?? 0), n(parts[2] ?? 0));
    }
    case 'process_count':
      return n(p.vm === undefined ? 1 : p.vm.procTable.all().length);
    default:
      throw badarg();
  }
}

// ---------------------------------------------------------------- time

const hrStart = process.hrtime.bigint();
/** Wall-clock nanoseconds now (microsecond precision). */
const wallNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
/** Fixed at start-up: system time = monotonic time + this. */
const TIME_OFFSET = wallNs() - START_MONOTONIC;

const monotonicNs = (): bigint => START_MONOTONIC + (process.hrtime.bigint() - hrStart);
const systemNs = (): bigint => monotonicNs() + TIME_OFFSET;

/** os:system_time(microsecond) now (logger's timestamps). */
export function systemTimeMicro(): bigint {
  return floorDiv(systemNs(), 1000n);
}

/** erlang:monotonic_time(millisecond) now, as a JS number (timers with {abs, true} count from it). */
export function monotonicMs(): number {
  return Number(floorDiv(monotonicNs(), 1000000n));
}

/** Floor division (the real VM's time unit conversion rounds toward minus infinity). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Parts per second of a time unit argument, or undefined when it is not one. */
function unitParts(p: Process, t: Term): bigint | undefined {
  if (isAtom(t)) {
    switch (p.atoms.name(t)) {
      case 'second':
      case 'seconds':
        return 1n;
      case 'millisecond':
      case 'milli_seconds':
        return 1000n;
      case 'microsecond':
      case 'micro_seconds':
        return 1000000n;
      case 'nanosecond':
      case 'nano_seconds':
      case 'native':
      case 'perf_counter':
        return NATIVE_PER_SECOND;
      default:
        return undefined;
    }
  }
  const v = intValue(p, t);
  if (v === undefined || v <= 0) return undefined;
  return BigInt(v);
}

function unitArg(p: Process, t: Term): bigint {
  const u = unitParts(p, t);
  if (u === undefined) throw badarg();
  return u;
}

/** A native (nanosecond) time in another unit. */
const fromNative = (ns: bigint, unit: bigint): bigint => floorDiv(ns * unit, NATIVE_PER_SECOND);

function timestamp(p: Process, ns: bigint): Term {
  const us = ns / 1000n;
  return mkTuple3(p, mkInt(p, us / 1000000000000n), mkInt(p, (us / 1000000n) % 1000000n), mkInt(p, us % 1000000n));
}

// ---- calendar

/** Days since 1970-01-01 of a proleptic Gregorian date (any year). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The real VM accepts years 1902 .. 2^31 - 2 in the local/universal conversions. */
const MIN_YEAR = 1902;
const MAX_YEAR = 2147483646;

interface DateTime {
  days: number;
  secs: number;
}

/** {{Y,M,D},{H,Mi,S}} as days since the epoch and seconds of the day, or badarg. */
function dateTimeArg(p: Process, t: Term): DateTime {
  if (!isTuple(p, t)) throw badarg();
  const parts = tupleElements(p, t);
  if (parts.length !== 2 || !isTuple(p, parts[0]!) || !isTuple(p, parts[1]!)) throw badarg();
  const date = tupleElements(p, parts[0]!);
  const time = tupleElements(p, parts[1]!);
  if (date.length !== 3 || time.length !== 3) throw badarg();
  const v = [...date, ...time].map((x) => {
    const n = intValue(p, x);
    if (typeof n !== 'number') throw badarg();
    return n;
  });
  const [y, mo, d, h, mi, s] = v as [number, number, number, number, number, number];
  if (y < MIN_YEAR || y > MAX_YEAR || mo < 1 || mo > 12 || d < 1) throw badarg();
  if (d > (mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1]!)) throw badarg();
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) throw badarg();
  return { days: daysFromCivil(y, mo, d), secs: h * 3600 + mi * 60 + s };
}

function mkDateTime(p: Process, dt: DateTime): Term {
  const [y, m, d] = civilFromDays(dt.days);
  const s = dt.secs;
  return mkTuple2(
    p,
    mkTuple3(p, mkInt(p, y), makeSmall(m), makeSmall(d)),
    mkTuple3(p, makeSmall(Math.floor(s / 3600)), makeSmall(Math.floor(s / 60) % 60), makeSmall(s % 60)),
  );
}

/** dt moved by `seconds`. */
function shift(dt: DateTime, seconds: number): DateTime {
  const total = dt.secs + seconds;
  const dd = Math.floor(total / 86400);
  return { days: dt.days + dd, secs: total - dd * 86400 };
}

/** JS Dates cover ±8.64e15 ms; beyond, the zone's offset is looked up on this day of 2200. */
const JS_DATE_MAX_DAYS = 100_000_000;
const clampDays = (days: number): number =>
  Math.abs(days) < JS_DATE_MAX_DAYS ? days : daysFromCivil(2200, ...(civilFromDays(days).slice(1) as [number, number]));

/**
 * The local zone's offset from UTC in seconds east at a UTC instant (ms),
 * to the second: getTimezoneOffset rounds to minutes, the local fields do not
 * (Paris was UTC+0:09:21 until 1911).
 */
function offsetAt(ms: number): number {
  const d = new Date(ms);
  const local = new Date(0);
  local.setUTCFullYear(d.getFullYear(), d.getMonth(), d.getDate());
  local.setUTCHours(d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds());
  return Math.round((local.getTime() - ms) / 1000);
}

function offsetAtUtc(dt: DateTime): number {
  return offsetAt(clampDays(dt.days) * 86400000 + dt.secs * 1000);
}

function utcToLocal(dt: DateTime): DateTime {
  return shift(dt, Math.round(offsetAtUtc(dt)));
}

/**
 * mktime's answer for a local time with tm_isdst = isDst: undefined lets the
 * zone decide (a time skipped by a DST change moves forward); false reads the
 * time as standard time, true as daylight time (standard + 1 hour in a zone
 * without DST, as glibc does).
 */
function localToUtc(dt: DateTime, isDst: boolean | undefined): DateTime {
  const days = clampDays(dt.days);
  const [y, m, d] = civilFromDays(days);
  if (isDst === undefined) {
    const local = new Date(2000, 0, 1, 0, 0, 0);
    local.setFullYear(y, m - 1, d);
    local.setHours(Math.floor(dt.secs / 3600), Math.floor(dt.secs / 60) % 60, dt.secs % 60);
    const utcMs = local.getTime();
    const localMs = days * 86400000 + dt.secs * 1000;
    return shift(dt, Math.round((utcMs - localMs) / 1000));
  }
  const jan = offsetAt(daysFromCivil(y, 1, 1) * 86400000);
  const jul = offsetAt(daysFromCivil(y, 7, 1) * 86400000);
  const std = Math.min(jan, jul);
  const dst = jan !== jul ? Math.max(jan, jul) : std + 3600;
  return shift(dt, -Math.round(isDst ? dst : std));
}

function nowLocal(): DateTime {
  const ms = Number(systemNs() / 1000000n);
  const days = Math.floor(ms / 86400000);
  return utcToLocal({ days, secs: Math.floor((ms - days * 86400000) / 1000) });
}

function nowUniversal(): DateTime {
  const ms = Number(systemNs() / 1000000n);
  const days = Math.floor(ms / 86400000);
  return { days, secs: Math.floor((ms - days * 86400000) / 1000) };
}

// ---- os environment

/** An environment variable name: a string without '=' or NUL, or badarg. */
function envName(p: Process, t: Term): string {
  const name = stringArg(p, t);
  if (name.includes('=') || name.includes('\0')) throw badarg();
  return name;
}

// ---------------------------------------------------------------- registration

defineBifs('erlang', 'bif', {
  'display/1': (p, [t]) => {
    (displayWriter === writeFd ? p.vm.stdout : (b: Uint8Array) => displayWriter(1, b))(crlfBytes(latin1Codes(displayText(p, t!) + '\n')));
    return ATOM_TRUE;
  },
  'display_string/1': (p, [s]) => {
    displayWriter(2, crlfBytes(new TextEncoder().encode(stringArg(p, s!))));
    return ATOM_TRUE;
  },

  'error/1': (_p, [r]) => {
    throw erlError(r!);
  },
  'error/2': (_p, [r, args]) => {
    throw new ErlangErrorWithArgs(r!, args!, undefined);
  },
  'error/3': (p, [r, args, opts]) => {
    throw new ErlangErrorWithArgs(r!, args!, errorInfoOption(p, opts!));
  },
  'exit/1': (_p, [r]) => {
    throw erlExit(r!);
  },
  'throw/1': (_p, [r]) => {
    throw erlThrow(r!);
  },

  'nodes/0': () => NIL,
  'is_alive/0': () => ATOM_FALSE,
  'bump_reductions/1': (p, [n]) => {
    // Any count that fits a signed 64-bit word; this VM's scheduler ignores it.
    const v = intValue(p, n!);
    if (v === undefined || v < 0 || v >= 2n ** 63n) throw badarg();
    return ATOM_TRUE;
  },
  'system_info/1': (p, [item]) => systemInfo(p, item!),

  'monotonic_time/0': (p) => mkInt(p, monotonicNs()),
  'monotonic_time/1': (p, [u]) => mkInt(p, fromNative(monotonicNs(), unitArg(p, u!))),
  'system_time/0': (p) => mkInt(p, systemNs()),
  'system_time/1': (p, [u]) => mkInt(p, fromNative(systemNs(), unitArg(p, u!))),
  'time_offset/0': (p) => mkInt(p, TIME_OFFSET),
  'time_offset/1': (p, [u]) => mkInt(p, fromNative(TIME_OFFSET, unitArg(p, u!))),
  'convert_time_unit/3': (p, [t, from, to]) => {
    const v = intValue(p, t!);
    const fu = unitParts(p, from!);
    const tu = unitParts(p, to!);
    if (v === undefined || fu === undefined || tu === undefined) throw badarg();
    return mkInt(p, floorDiv(BigInt(v) * tu, fu));
  },
  'timestamp/0': (p) => timestamp(p, systemNs()),
  'time/0': (p) => {
    const s = nowLocal().secs;
    return mkTuple3(p, makeSmall(Math.floor(s / 3600)), makeSmall(Math.floor(s / 60) % 60), makeSmall(s % 60));
  },
  'date/0': (p) => {
    const [y, m, d] = civilFromDays(nowLocal().days);
    return mkTuple3(p, mkInt(p, y), makeSmall(m), makeSmall(d));
  },
  'localtime/0': (p) => mkDateTime(p, nowLocal()),
  'posixtime_to_universaltime/1': (p, [t]) => {
    const v = intValue(p, t!);
    if (v === undefined) throw badarg();
    const secs = Number(v);
    const days = Math.floor(secs / 86400);
    return mkDateTime(p, { days, secs: secs - days * 86400 });
  },
  'universaltime_to_posixtime/1': (p, [t]) => {
    const dt = dateTimeArg(p, t!);
    return mkInt(p, dt.days * 86400 + dt.secs);
  },
  'system_flag/2': (p, [flag, value]) => {
    const name = isAtom(flag!) ? p.atoms.name(flag!) : '';
    if (name === 'system_logger') {
      // Where the emulator sends its error reports (vm.ts reportUncaught): logger, a pid or undefined.
      if (value !== p.atoms.intern('logger') && value !== ATOM_UNDEFINED && !isLocalPid(value!)) throw badarg();
      const old = p.vm.systemLogger;
      p.vm.systemLogger = value!;
      return old;
    }
    if (name === 'backtrace_depth') {
      const v = intValue(p, value!);
      if (v === undefined || v < 0) throw badarg();
      return makeSmall(8);
    }
    const old = gcSystemFlag(p, name, value!) ?? schedulerSystemFlag(p, name, value!);
    if (old !== undefined) return old;
    throw badarg();
  },
  'universaltime/0': (p) => mkDateTime(p, nowUniversal()),
  'universaltime_to_localtime/1': (p, [t]) => mkDateTime(p, utcToLocal(dateTimeArg(p, t!))),
  'localtime_to_universaltime/1': (p, [t]) => mkDateTime(p, localToUtc(dateTimeArg(p, t!), undefined)),
  'localtime_to_universaltime/2': (p, [t, dst]) => {
    const dt = dateTimeArg(p, t!);
    if (dst !== ATOM_TRUE && dst !== ATOM_FALSE && dst !== ATOM_UNDEFINED) throw badarg();
    return mkDateTime(p, localToUtc(dt, dst === ATOM_UNDEFINED ? undefined : dst === ATOM_TRUE));
  },
});

defineBifs('erlang', 'guard', {
  'node/0': () => NONODE,
  'node/1': (p, [t]) => nodeOf(p, t!),
});

defineBifs('os', 'bif', {
  'getenv/0': (p) => mkList(p, Object.entries(process.env).map(([k, v]) => mkString(p, `${k}=${v ?? ''}`))),
  'getenv/1': (p, [n]) => {
    const name = envName(p, n!);
    const v = name === '' ? undefined : process.env[name];
    return v === undefined ? ATOM_FALSE : mkString(p, v);
  },
  'env/0': (p) => mkList(p, Object.entries(process.env).map(([k, v]) => mkTuple2(p, mkString(p, k), mkString(p, v ?? '')))),
  'putenv/2': (p, [n, v]) => {
    const name = envName(p, n!);
    const value = stringArg(p, v!);
    if (value.includes('\0')) throw badarg();
    if (name !== '') process.env[name] = value; // the real VM accepts an empty name
    return ATOM_TRUE;
  },
  'unsetenv/1': (p, [n]) => {
    const name = envName(p, n!);
    if (name !== '') delete process.env[name];
    return ATOM_TRUE;
  },
  'getpid/0': (p) => mkString(p, String(process.pid)),
  'timestamp/0': (p) => timestamp(p, wallNs()),
  'system_time/0': (p) => mkInt(p, wallNs()),
  'system_time/1': (p, [u]) => mkInt(p, fromNative(wallNs(), unitArg(p, u!))),
  'perf_counter/0': (p) => mkInt(p, process.hrtime.bigint()),
  'perf_counter/1': (p, [u]) => mkInt(p, fromNative(process.hrtime.bigint(), unitArg(p, u!))),
});

