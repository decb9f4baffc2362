#!/usr/bin/env bash
# Regenerates the Erlang fixtures under fixtures/erlang with the real OTP:
# compiles every fixture NAME.erl to NAME.beam (plain erlc, line info kept)
# and writes NAME.out = stdout of
#   erl -noshell -pa fixtures/erlang -run NAME start -run init stop
# Only modules whose source exports start/0 are fixtures (lines.erl, a
# loader test file, is skipped).
#
# Usage: scripts/gen-fixtures.sh [NAME...]   (default: every fixture)
#
# erlc runs inside fixtures/erlang on the bare file name (as hello.beam was
# built), so the Line chunk and stack traces say {file,"NAME.erl"}; erl runs
# from the repository root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=fixtures/erlang

# Fixed environment: the output must not depend on the caller's locale or
# Erlang settings.
export LC_ALL=C
export ERL_CRASH_DUMP_SECONDS=0
unset ERL_FLAGS ERL_AFLAGS ERL_ZFLAGS ERL_LIBS 2>/dev/null || true

is_fixture() {
    grep -Eq '^-export\(\[([^]]*[ ,])?start/0' "$DIR/$1.erl"
}

names=()
if [ "$#" -gt 0 ]; then
    for n in "$@"; do
        n=$(basename "$n" .erl)
        if [ ! -f "$DIR/$n.erl" ]; then
            echo "gen-fixtures: no such fixture: $DIR/$n.erl" >&2
            exit 1
        fi
        if ! is_fixture "$n"; then
            echo "gen-fixtures: $n.erl does not export start/0" >&2
            exit 1
        fi
        names+=("$n")
    done
else
    for f in "$DIR"/*.erl; do
        n=$(basename "$f" .erl)
        if is_fixture "$n"; then
            names+=("$n")
        fi
    done
fi

if [ "${#names[@]}" -eq 0 ]; then
    echo "gen-fixtures: no fixtures found" >&2
    exit 1
fi

srcs=()
for n in "${names[@]}"; do
    srcs+=("$n.erl")
done
(cd "$DIR" && erlc "${srcs[@]}")

err=$(mktemp)
trap 'rm -f "$err"' EXIT
failed=0
for n in "${names[@]}"; do
    if ! erl -noshell -pa "$DIR" -run "$n" start -run init stop \
            < /dev/null > "$DIR/$n.out" 2> "$err"; then
        echo "gen-fixtures: $n: erl exited with an error" >&2
        cat "$err" >&2
        failed=1
    elif [ -s "$err" ]; then
        echo "gen-fixtures: $n: erl wrote to stderr" >&2
        cat "$err" >&2
        failed=1
    fi
done
if [ "$failed" -ne 0 ]; then
    exit 1
fi
echo "gen-fixtures: ${#names[@]} fixture(s) regenerated"
