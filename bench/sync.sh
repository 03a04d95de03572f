#!/usr/bin/env bash
# bench/sync.sh: the speed benchmark of `shipline store sync`.
#
# It makes a local store of 10,000 module versions (200 modules × 50
# versions, through the store API) and a mirror of it missing 100 versions
# picked at random, with list and @latest as a lagging mirror has them
# (both cached), and times in the same rounds
#
#   sync   shipline store sync SRC MIRROR
#   cp     cp --parents of exactly the 400 missing objects (the baseline)
#   noop   shipline store sync SRC COMPLETE-MIRROR (the fixed cost)
#
# the mirror restored (hard links, untimed) before each run. Goal: sync at
# most 3× the baseline (medians), so that the cost follows the difference,
# not the store's size. Then it replaces the "Store sync (10,000 versions,
# 100 missing)" section of BENCHMARKS.md. See bench/README.md.
#
#   bash bench/sync.sh
#
# Knobs (environment):
#   BENCH_SYNC_RUNS=5    timed rounds (after one untimed warm-up run of each)
#   BENCH_CACHE=${TMPDIR:-/tmp}/shipline-bench
#   BENCH_OUT=<file>     where to write the section (default BENCHMARKS.md)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_SYNC_RUNS:-5}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/shipline-bench}
out=${BENCH_OUT:-$root/BENCHMARKS.md}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'sync.sh: %s\n' "$*" >&2; exit 1; }

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SYNC_RUNS must be a positive integer"
case "$cache" in *[[:space:]]*) die "BENCH_CACHE must not contain blanks: $cache" ;; esac
mkdir -p "$cache/bin"
say "building shipline and bench/proxybench"
(cd "$root" && go build -o "$cache/bin/shipline-sync" ./cmd/shipline && go build -o "$cache/bin/proxybench" ./bench/proxybench) ||
  die "shipline or bench/proxybench does not build"
"$cache/bin/shipline-sync" store sync --help >/dev/null 2>&1 ||
  die "this shipline has no store sync command: add m.storeCommand() to rootCommand in cmd/shipline/main.go"
exec "$cache/bin/proxybench" sync -cache "$cache" -shipline "$cache/bin/shipline-sync" -runs "$runs" -out "$out"
