#!/usr/bin/env bash
# bench/gates.sh: the speed benchmark of `shipline gate`.
#
# On Shipline itself (a clean clone of HEAD), with warm caches and one
# offline vulnerability database for all, it times in the same rounds:
#
#   shipline     shipline gate (all gates: vuln, license, gosec, commits)
#   govulncheck  govulncheck -db file://DB -show verbose ./...
#   gosec        gosec -fmt json ./...
#   go-licenses  go-licenses check --ignore MODULE ./...
#
# and compares `shipline gate` with the sum of the three separate tools run
# one after another (goal: less), and what each found with what Shipline's
# gates found; then it replaces the "Gates" section of BENCHMARKS.md.
# govulncheck and gosec are built at the versions Shipline's go.mod
# requires, go-licenses at v1.6.0, each from the Go module proxy in a
# throwaway module; they and the vulnerability database are cached under
# ${TMPDIR:-/tmp}/shipline-bench. See bench/README.md.
#
#   bash bench/gates.sh     # ~15 min with 3 rounds; exit codes 1 and 3 from the tools are expected
#
# Knobs (environment):
#   BENCH_GATE_RUNS=3     timed rounds (after one untimed warm-up run of each)
#   BENCH_CACHE=${TMPDIR:-/tmp}/shipline-bench
#   BENCH_OUT=<file>      where to write the section (default BENCHMARKS.md)
#   BENCH_SHIPLINE_PKG=./cmd/shipline  the package to build as shipline
#   BENCH_KEEP=1          keep the run directory (each run's outputs) for a look
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_GATE_RUNS:-3}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/shipline-bench}
out=${BENCH_OUT:-$root/BENCHMARKS.md}
golicenses_version=v1.6.0 # its latest release; v2.0.0-alpha.1 does not build with Go 1.26 (its x/tools is too old)

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'gates.sh: %s\n' "$*" >&2; exit 1; }

case "$cache" in *[[:space:]]*) die "BENCH_CACHE must not contain blanks: $cache" ;; esac
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_GATE_RUNS must be a positive integer"

# The versions of the peers that Shipline's gates use as libraries.
gomod_version() { # gomod_version MODULE: its version in go.mod's require lines
  awk -v m="$1" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$root/go.mod"
}
vuln_version=$(gomod_version golang.org/x/vuln)
gosec_version=$(gomod_version github.com/securego/gosec/v2)
[[ -n "$vuln_version" ]] || die "go.mod requires no golang.org/x/vuln: which govulncheck to compare with?"
[[ -n "$gosec_version" ]] || die "go.mod requires no github.com/securego/gosec/v2: which gosec to compare with?"

mkdir -p "$cache/bin" "$cache/peers" "$cache/vulndb"
work=$(mktemp -d "$cache/gates.XXXXXX")
if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
  trap 'say "kept $work (every run'"'"'s outputs are in runs/)"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
notes=()

# Every tool runs in this environment: no network for the go command (the
# module cache is filled beforehand), no GOFLAGS or target variables from
# this machine, no user or system git config, no colours.
benchenv=(env -u GOOS -u GOARCH -u GOARM -u GOAMD64 -u GOARM64 -u GO386
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_PAGER=cat PAGER=cat NO_COLOR=1
  GOPROXY=off GOFLAGS= GOWORK=off GOTOOLCHAIN=local)
# Fetching and building the peers runs with the module proxy.
fetchenv=(env GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local)

# --- the helper -------------------------------------------------------------
say "building bench/gatebench"
(cd "$root" && go build -o "$cache/bin/gatebench" ./bench/gatebench) || die "bench/gatebench does not build"
gb=$cache/bin/gatebench

# --- the peers ----------------------------------------------------------------
# build_peer NAME MODULE VERSION PACKAGE: prints the binary's path, built once
# from the Go module proxy in a throwaway module of its own (so that no
# other tool's requirements change its dependencies), or nothing.
build_peer() {
  local name=$1 mod=$2 version=$3 pkg=$4
  local bin=$cache/peers/$name-$version/$name tmpmod got
  if [[ ! -x "$bin" ]]; then
    say "building $name ($mod@$version) from the Go module proxy (once)"
    mkdir -p "$(dirname "$bin")"
    tmpmod=$(mktemp -d "$work/$name.XXXXXX")
    if ! (cd "$tmpmod" && "${fetchenv[@]}" go mod init benchpeers >/dev/null 2>&1 &&
        "${fetchenv[@]}" go get "$mod@$version" >/dev/null 2>"$work/build.err" &&
        "${fetchenv[@]}" go build -o "$bin.tmp" "$pkg" 2>"$work/build.err"); then
      warn "could not build $name $version:"; tail -n 5 "$work/build.err" | sed 's/^/    /' >&2
      return 0
    fi
    mv "$bin.tmp" "$bin"
  fi
  got=$(go version -m "$bin" | awk -v m="$mod" '$1 == "mod" && $2 == m { print $3 }')
  [[ "$got" == "$version" ]] || warn "$bin says it is $mod@$got, not $version"
  printf '%s' "$bin"
}
govulncheck=$(build_peer govulncheck golang.org/x/vuln "$vuln_version" golang.org/x/vuln/cmd/govulncheck)
gosec=$(build_peer gosec github.com/securego/gosec/v2 "$gosec_version" github.com/securego/gosec/v2/cmd/gosec)
golicenses=$(build_peer go-licenses github.com/google/go-licenses "$golicenses_version" github.com/google/go-licenses)
[[ -n "$govulncheck" ]] || notes+=("govulncheck $vuln_version could not be built and was not measured")
[[ -n "$gosec" ]] || notes+=("gosec $gosec_version could not be built and was not measured")
[[ -n "$golicenses" ]] || notes+=("go-licenses $golicenses_version could not be built and was not measured")

# --- shipline -----------------------------------------------------------------
shipline_pkg=${BENCH_SHIPLINE_PKG:-./cmd/shipline}
shipline_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]] && shipline_rev+=" with uncommitted changes"
say "building shipline (go build $shipline_pkg)"
(cd "$root" && go build -o "$work/shipline" "$shipline_pkg") 2>"$work/build.err" || {
  head -n 5 "$work/build.err" | sed 's/^/    /' >&2
  die "$shipline_pkg does not build: nothing to measure"
}
shipline=$work/shipline

# --- the module -----------------------------------------------------------------
src=$work/src
say "cloning Shipline's HEAD ($(git -C "$root" rev-parse --short HEAD)) into $src"
"${benchenv[@]}" git clone -q "$root" "$src" || die "git clone $root failed"
module_rev=$(git -C "$src" rev-parse --short HEAD)
module_path=$(cd "$src" && "${benchenv[@]}" go list -m) || die "the clone's go.mod does not load"
(cd "$src" && "${fetchenv[@]}" go mod download) || warn "go mod download failed; the module cache may miss modules"
(cd "$src" && "${benchenv[@]}" go list ./... >"$work/packages" && "${benchenv[@]}" go list -deps ./... >"$work/deps") ||
  die "the clone's packages do not load offline (GOPROXY=off)"

# --- the vulnerability database -------------------------------------------------
# golang.org/x/vulndb from the module cache, the highest version there, as
# `shipline gate` finds it by default; made once into a v1 database that
# both Shipline and govulncheck read.
modcache=$(go env GOMODCACHE)
vulndb_src=$(for d in "$modcache"/golang.org/x/vulndb@*/data/osv; do
  if [[ -d "$d" ]]; then dirname "$(dirname "$d")"; fi
done | sort -V | tail -n1) # pseudo-versions sort by their time
if [[ -z "$vulndb_src" ]]; then
  say "no golang.org/x/vulndb in the module cache: downloading @latest from the Go module proxy"
  tmpmod=$(mktemp -d "$work/vulndb.XXXXXX")
  vulndb_src=$(cd "$tmpmod" && "${fetchenv[@]}" go mod download -json golang.org/x/vulndb@latest |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
  [[ -d "$vulndb_src/data/osv" ]] || die "could not get golang.org/x/vulndb: no vulnerability database to check against"
fi
vulndb_version=${vulndb_src##*@}
db=$cache/vulndb/$vulndb_version
if [[ ! -f "$db.ready" ]]; then
  say "building the v1 vulnerability database $db from golang.org/x/vulndb@$vulndb_version (once)"
  rm -rf "$db" "$db.tmp"
  "$shipline" gate vulndb build --from "$vulndb_src/data/osv" --out "$db.tmp" >"$db.info" ||
    die "shipline gate vulndb build failed"
  mv "$db.tmp" "$db"
  touch "$db.ready"
fi
vulndb_info=$(sed -n 's/^built vulnerability database [^:]*: //p' "$db.info" 2>/dev/null)
say "vulnerability database: golang.org/x/vulndb@$vulndb_version ($vulndb_info)"

# --- the commands -------------------------------------------------------------
tools=(shipline)
[[ -n "$govulncheck" ]] && tools+=(govulncheck)
[[ -n "$gosec" ]] && tools+=(gosec)
[[ -n "$golicenses" ]] && tools+=(go-licenses)

# run_tool ID ROUND NAME: runs one tool in the module's root, timed, its
# outputs in $work/runs/NAME/.
run_tool() {
  local id=$1 round=$2 d=$work/runs/$3 argv
  mkdir -p "$d"
  case "$id" in
    shipline) argv=("$shipline" gate --vuln-db "$db" --out "$d/gates") ;;
    govulncheck) argv=("$govulncheck" -db "file://$db" -show verbose ./...) ;;
    gosec) argv=("$gosec" -fmt json ./...) ;;
    go-licenses) argv=("$golicenses" check --ignore "$module_path" ./...) ;;
    # report looks up each license's URL on the network (failing offline,
    # which it only logs): bounded, and never timed.
    go-licenses-report) argv=(timeout 600 "$golicenses" report --ignore "$module_path" ./...) ;;
    *) die "unknown tool $id" ;;
  esac
  "${benchenv[@]}" "$gb" time -id "$id" -round "$round" -dir "$src" -json "$d/time.json" \
    -stdout "$d/stdout" -stderr "$d/stderr" -- "${argv[@]}"
}
wall_of() { sed -n 's/^ *"wall_s": *\([0-9.]*\).*/\1/p' "$1/time.json" | awk '{printf "%.1f s", $1}'; }

# --- warm-up ------------------------------------------------------------------
# One untimed run of each fills the build and go list caches and shows what
# each finds; a tool that fails here is left out (Shipline: the end).
say "warm-up: one untimed run of each (~4 min)"
kept=()
for id in "${tools[@]}" ${golicenses:+go-licenses-report}; do
  if run_tool "$id" 0 "w-$id" 2>"$work/err" && line=$("$gb" summary "$work/runs/w-$id" 2>"$work/err"); then
    say "$id: $line ($(wall_of "$work/runs/w-$id"))"
    [[ "$id" == go-licenses-report ]] || kept+=("$id")
    continue
  fi
  msg=$(head -c 400 "$work/err" 2>/dev/null)
  [[ "$id" == shipline ]] && die "shipline gate did not finish its work: $msg"
  warn "leaving $id out: $msg"
  if [[ "$id" == go-licenses-report ]]; then
    notes+=("\`go-licenses report\` failed, so the licenses it finds are not listed: $msg")
  else
    notes+=("$id was not measured: its warm-up run failed: $msg")
  fi
  rm -rf "$work/runs/w-$id"
done
tools=("${kept[@]}")

# --- timing -------------------------------------------------------------------
# A round runs every command once. The order turns by one each round, so
# that no command always runs first (or right after the slowest).
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN{exit !(l+0 > n/2)}'; then
  warn "load average is $load_before on $(nproc) cores: other work is running and the numbers will be noisy"
fi
say "timing: $runs rounds of ${#tools[@]} commands (~$(( runs * 3 + 1 )) min)"
loads=()
n=${#tools[@]}
t_start=$EPOCHREALTIME
for (( r = 1; r <= runs; r++ )); do
  loads+=("$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')")
  printf '    round %d/%d (load %s):' "$r" "$runs" "${loads[-1]}" >&2
  for (( i = 0; i < n; i++ )); do
    id=${tools[(i + r - 1) % n]}
    name=r$r-$id
    if run_tool "$id" "$r" "$name" 2>"$work/err" && "$gb" summary "$work/runs/$name" >/dev/null 2>"$work/err"; then
      printf ' %s %s' "$id" "$(wall_of "$work/runs/$name")" >&2
    else
      printf ' %s FAILED' "$id" >&2
      notes+=("round $r: $id failed and its time is left out: $(head -c 300 "$work/err")")
      mv "$work/runs/$name" "$work/failed-$name"
    fi
  done
  printf '\n' >&2
done
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
elapsed=$(awk "BEGIN{printf \"%.0f\", $EPOCHREALTIME - $t_start}")
say "timing took $elapsed s"
load_max=$(printf '%s\n' "${loads[@]}" "$load_after" | sort -g | tail -n1)
load_min=$(printf '%s\n' "${loads[@]}" "$load_after" | sort -g | head -n1)
if awk -v l="$load_max" -v n="$(nproc)" 'BEGIN{exit !(l+0 > n/2)}'; then
  notes+=("the 1-minute load average was between $load_min and $load_max on $(nproc) cores during timing: other work was running, so the times are noisy; the minimums are the steadier figures")
fi

# --- report -------------------------------------------------------------------
info=$work/info
{
  echo "DATE=$(date -u +%F)"
  echo "NPROC=$(nproc)"
  echo "ARCH=$(uname -m)"
  echo "CPU=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
  echo "GO_VERSION=$(go version | awk '{print $3}')"
  echo "SHIPLINE_REV=$shipline_rev"
  echo "MODULE_REV=$module_rev"
  echo "PACKAGES=$(wc -l <"$work/packages" | tr -d ' ')"
  echo "DEPS=$(wc -l <"$work/deps" | tr -d ' ')"
  echo "VULN_VERSION=$vuln_version"
  echo "GOSEC_VERSION=$gosec_version"
  echo "GOLICENSES_VERSION=$golicenses_version"
  echo "VULNDB_VERSION=$vulndb_version"
  echo "VULNDB_INFO=$vulndb_info"
  echo "CMD_shipline=shipline gate --vuln-db DB --out DIR"
  echo "CMD_govulncheck=govulncheck -db file://DB -show verbose ./..."
  echo "CMD_gosec=gosec -fmt json ./..."
  echo "CMD_go-licenses=go-licenses check --ignore $module_path ./..."
  echo "LOAD_START=$load_before"
  echo "LOAD_MIN=$load_min"
  echo "LOAD_MAX=$load_max"
  echo "TIMING_SECONDS=$elapsed"
  echo "TIMER=bench/gatebench's timer (no shell; wall time, and user + system time and peak memory from wait4)"
  echo "RUNS=$runs"
  echo "ROUND_LOADS=${loads[*]}"
  if (( ${#notes[@]} )); then
    printf 'NOTES=%s' "${notes[0]}"
    for x in "${notes[@]:1}"; do printf ' | %s' "$x"; done
    echo
  fi
} >"$info"
say "writing section \"Gates\" to $out"
"$gb" report -out "$out" -title "Gates" -info "$info" "$work/runs"
