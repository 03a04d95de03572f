#!/usr/bin/env bash
# bench/proxy.sh: the speed benchmark of `shipline serve-proxy`.
#
# It fills a local store with 200 small module versions (50 modules with an
# upper-case letter in their paths × 4 versions, through the store API;
# cached), starts `shipline serve-proxy` on it, and times in the same
# rounds `go mod download` of all 200 versions
#
#   serve-proxy   with GOPROXY=http://127.0.0.1:PORT (the proxy process)
#   file          with GOPROXY=file:// of the same store (the baseline)
#
# each run with a fresh, empty GOMODCACHE. Goal: serve-proxy at most 1.5×
# the baseline (medians). Then it replaces the "Module proxy (200
# versions)" section of BENCHMARKS.md. See bench/README.md.
#
#   bash bench/proxy.sh
#
# Knobs (environment):
#   BENCH_PROXY_RUNS=7   timed rounds (after one untimed warm-up run of each)
#   BENCH_CACHE=${TMPDIR:-/tmp}/shipline-bench
#   BENCH_OUT=<file>     where to write the section (default BENCHMARKS.md)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_PROXY_RUNS:-7}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/shipline-bench}
out=${BENCH_OUT:-$root/BENCHMARKS.md}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'proxy.sh: %s\n' "$*" >&2; exit 1; }

[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_PROXY_RUNS must be a positive integer"
mkdir -p "$cache/bin"
say "building shipline and bench/proxybench"
(cd "$root" && go build -o "$cache/bin/shipline-proxy" ./cmd/shipline && go build -o "$cache/bin/proxybench" ./bench/proxybench) ||
  die "shipline or bench/proxybench does not build"
"$cache/bin/shipline-proxy" serve-proxy --help >/dev/null 2>&1 ||
  die "this shipline has no serve-proxy command: add m.serveProxyCommand() to rootCommand in cmd/shipline/main.go"
exec "$cache/bin/proxybench" proxy -cache "$cache" -shipline "$cache/bin/shipline-proxy" -runs "$runs" -out "$out"
