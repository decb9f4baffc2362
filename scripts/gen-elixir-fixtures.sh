#!/usr/bin/env bash
# Compiles the Elixir fixtures fixtures/elixir/*.ex and regenerates their
# expected output fixtures/elixir/NAME.out by running each on the real VM,
# from the repository root:
#
#   erl -noshell -pa /usr/lib/elixir/lib/elixir/ebin \
#       -pa /usr/lib/elixir/lib/logger/ebin -pa fixtures/elixir \
#       -run 'Elixir.Fixture.Name' main -run init stop
#
# (the ebin directories are those of the installed Elixir). `-run M F` with
# no arguments calls M:F() — main/0. The `elixir` application is NOT
# started, so standard_io keeps OTP 25's default latin1 encoding; fixtures
# that print UTF-8 text switch it with :io.setopts(:standard_io,
# encoding: :unicode) themselves (see io_encoding.ex).
#
# Usage: scripts/gen-elixir-fixtures.sh [NAME...]
#   NAME is a fixture base name (enum_basics, enum_basics.ex or a path).
#   Without arguments every fixture is rebuilt and all *.beam files in
#   fixtures/elixir are deleted first, so no stale module survives.
#
# Convention: NAME.ex defines module Fixture.<CamelCase NAME> (enum_basics
# -> Fixture.EnumBasics) with a public main/0. Every beam the file compiles
# to (nested struct/exception modules, protocol and implementation modules)
# is kept in fixtures/elixir; protocols are not consolidated.
#
# Fails (non-zero exit, message on stderr) when a fixture does not compile
# cleanly (warnings are errors), crashes, writes to stderr, exits non-zero
# or runs longer than the time limit; its .out file is then left untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=fixtures/elixir
TIME_LIMIT=60 # seconds per fixture run (they take well under 2 s)

# Keep compiler and VM independent of the caller's environment.
unset ERL_AFLAGS ERL_FLAGS ERL_ZFLAGS ERL_LIBS ERL_COMPILER_OPTIONS ELIXIR_ERL_OPTIONS MIX_ENV || true
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export ERL_CRASH_DUMP_SECONDS=0 # no erl_crash.dump when a fixture crashes

for tool in elixirc elixir erl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found in PATH" >&2; exit 1; }
done

ebin_of() { # canonical ebin directory of an application of the installed Elixir
  local d
  d=$(elixir -e "IO.write(:code.lib_dir(:$1, :ebin))") && [ -d "$d" ] ||
    { echo "error: cannot locate the ebin directory of $1" >&2; exit 1; }
  (cd "$d" && pwd -P)
}
ELIXIR_EBIN=$(ebin_of elixir)
LOGGER_EBIN=$(ebin_of logger)

camel() { # enum_basics -> EnumBasics
  local out="" part parts
  IFS=_ read -ra parts <<<"$1"
  for part in "${parts[@]}"; do out+="$(tr '[:lower:]' '[:upper:]' <<<"${part:0:1}")${part:1}"; done
  printf '%s' "$out"
}

names=()
if [ "$#" -gt 0 ]; then
  for a in "$@"; do
    a=$(basename "$a" .ex)
    [ -f "$DIR/$a.ex" ] || { echo "error: no such fixture: $DIR/$a.ex" >&2; exit 1; }
    names+=("$a")
  done
else
  for f in "$DIR"/*.ex; do
    [ -e "$f" ] || { echo "error: no fixtures in $DIR" >&2; exit 1; }
    names+=("$(basename "$f" .ex)")
  done
  rm -f "$DIR"/*.beam
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "erl -noshell -pa $ELIXIR_EBIN -pa $LOGGER_EBIN -pa $DIR -run 'Elixir.Fixture.<Name>' main -run init stop"

failed=()
for name in "${names[@]}"; do
  mod="Elixir.Fixture.$(camel "$name")"
  build="$TMP/build-$name"
  mkdir -p "$build"

  if ! elixirc --warnings-as-errors -o "$build" "$DIR/$name.ex" >"$TMP/compile.log" 2>&1 ||
     [ -s "$TMP/compile.log" ]; then
    echo "error: $name: compiling $DIR/$name.ex failed or printed diagnostics:" >&2
    sed 's/^/    /' "$TMP/compile.log" >&2
    failed+=("$name"); continue
  fi
  if [ ! -f "$build/$mod.beam" ]; then
    echo "error: $name: $DIR/$name.ex does not define module ${mod#Elixir.}" >&2
    failed+=("$name"); continue
  fi
  cp "$build"/*.beam "$DIR"/

  rc=0
  timeout "$TIME_LIMIT" erl -noshell -pa "$ELIXIR_EBIN" -pa "$LOGGER_EBIN" -pa "$DIR" \
    -run "$mod" main -run init stop >"$TMP/out" 2>"$TMP/err" </dev/null || rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$TMP/err" ] || grep -q 'init terminating in do_boot' "$TMP/out"; then
    if [ "$rc" -eq 124 ]; then why="timed out after ${TIME_LIMIT}s"; else why="crashed (exit status $rc)"; fi
    echo "error: $name: fixture $why; $DIR/$name.out was NOT updated." >&2
    echo "  last lines of stdout:" >&2
    tail -n 15 "$TMP/out" | sed 's/^/    /' >&2
    echo "  stderr:" >&2
    sed 's/^/    /' "$TMP/err" >&2
    failed+=("$name"); continue
  fi

  cp "$TMP/out" "$DIR/$name.out"
  printf '%-22s %4d lines  sha256 %s\n' "$name" "$(wc -l <"$DIR/$name.out")" \
    "$(sha256sum "$DIR/$name.out" | cut -c1-16)"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED (${#failed[@]}): ${failed[*]}" >&2
  exit 1
fi
echo "ok: ${#names[@]} fixture(s)"
