#!/usr/bin/env bash
# bench/builds.sh: the speed benchmark of `shipline build`.
#
# On a real CLI (fzf, from the Go module proxy) and on Shipline itself (a
# clone of HEAD), both with a warm build cache, it times in the same rounds:
#
#   shipline            shipline build --snapshot (verifies every binary,
#                       archives, checksums.txt, artifacts.json)
#   goreleaser-build    goreleaser build --snapshot --clean (binaries only)
#   goreleaser-release  goreleaser release --snapshot --clean (binaries,
#                       archives, checksums; nothing published)
#   floor               a shell script running the same go build commands,
#                       two at a time (xargs -P 2)
#   floor-archives      the same script, also archiving each binary (tar and
#                       gzip, zip for windows, at Shipline's default
#                       compression level) and hashing every file (sha256sum)
#
# for the default matrix plus linux/arm/v7 and linux/mips64le, every tool
# building 2 targets at a time; then it replaces the "Builds" section of
# BENCHMARKS.md. GoReleaser (built from the Go module proxy) and the fzf
# sources are cached under ${TMPDIR:-/tmp}/shipline-bench. See
# bench/README.md for what it measures and the knobs below.
#
#   bash bench/builds.sh
#
# Knobs (environment):
#   BENCH_BUILD_RUNS=5     timed runs of each fzf command (after one untimed
#                          warm-up run of each command)
#   BENCH_BUILD_SLOW_RUNS=3  timed runs of each Shipline command (~4x longer)
#   BENCH_PROJECTS="fzf shipline"  which projects to build
#   BENCH_PARALLELISM=2    targets built at once, by every tool
#   BENCH_TIMER=hyperfine or go (the Go fallback in bench/versionbench)
#   BENCH_CACHE=${TMPDIR:-/tmp}/shipline-bench
#   BENCH_OUT=<file>       where to write the section (default BENCHMARKS.md)
#   BENCH_SHIPLINE_PKG=./cmd/shipline  the package to build as shipline
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${BENCH_BUILD_RUNS:-5}
slow_runs=${BENCH_BUILD_SLOW_RUNS:-3}
projects=${BENCH_PROJECTS:-fzf shipline}
par=${BENCH_PARALLELISM:-2}
timer=${BENCH_TIMER:-hyperfine}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/shipline-bench}
out=${BENCH_OUT:-$root/BENCHMARKS.md}
goreleaser_version=v2.15.1
fzf_module=github.com/junegunn/fzf
fzf_version=v0.65.2
targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 linux/arm/v7 linux/mips64le)
# Shipline's default archive.compression-level (config.DefaultCompressionLevel),
# which the floor with archives gives gzip and zip: the same work.
archive_level=2

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'builds.sh: %s\n' "$*" >&2; exit 1; }

case "$cache" in *[[:space:]]*) die "BENCH_CACHE must not contain blanks: $cache" ;; esac
for n in "$runs" "$slow_runs" "$par"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_BUILD_RUNS, BENCH_BUILD_SLOW_RUNS and BENCH_PARALLELISM must be positive integers"
done
for p in $projects; do
  case "$p" in fzf | shipline) ;; *) die "BENCH_PROJECTS: unknown project $p (want fzf, shipline or both)" ;; esac
done

mkdir -p "$cache/bin" "$cache/peers" "$cache/src"
work=$(mktemp -d "$cache/builds.XXXXXX")
trap 'rm -rf "$work"' EXIT
notes=()

# Every tool runs in this environment: no user or system git config, no
# network for the go command (the module cache is filled beforehand), no
# GOFLAGS or variant variables from this machine, no colours.
benchenv=(env -u GOARM -u GOAMD64 -u GOARM64 -u GOMIPS -u GOMIPS64 -u GO386 -u GOOS -u GOARCH -u CGO_ENABLED
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_PAGER=cat PAGER=cat NO_COLOR=1
  GOPROXY=off GOFLAGS= GOWORK=off GOTOOLCHAIN=local)
# Fetching runs with the module proxy.
fetchenv=(env GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local)
g() { "${benchenv[@]}" git -c user.name=bench -c user.email=bench@example.invalid "$@"; }

# --- the helper -------------------------------------------------------------
say "building bench/buildbench"
(cd "$root" && go build -o "$cache/bin/buildbench" ./bench/buildbench) || die "bench/buildbench does not build"
bb=$cache/bin/buildbench

# --- GoReleaser ---------------------------------------------------------------
goreleaser=$cache/peers/goreleaser-$goreleaser_version/goreleaser
if [[ ! -x "$goreleaser" ]]; then
  say "building GoReleaser $goreleaser_version from the Go module proxy (once; ~4 min)"
  mkdir -p "$(dirname "$goreleaser")"
  tmpmod=$(mktemp -d "$work/goreleaser.XXXXXX")
  if (cd "$tmpmod" && "${fetchenv[@]}" go mod init benchpeers >/dev/null 2>&1 &&
      "${fetchenv[@]}" go get "github.com/goreleaser/goreleaser/v2@$goreleaser_version" &&
      "${fetchenv[@]}" go build -o "$goreleaser.tmp" github.com/goreleaser/goreleaser/v2); then
    mv "$goreleaser.tmp" "$goreleaser"
  else
    warn "could not build GoReleaser $goreleaser_version; it will not be measured"
    notes+=("GoReleaser $goreleaser_version could not be built from the Go module proxy and was not measured")
    goreleaser=
  fi
fi
if [[ -n "$goreleaser" ]]; then
  got=$("$goreleaser" --version 2>/dev/null | awk '/^GitVersion:/{print $2}')
  [[ "$got" == "$goreleaser_version" ]] || warn "expected GoReleaser $goreleaser_version, it says: $got"
fi

# --- the timer ----------------------------------------------------------------
if [[ "$timer" == hyperfine ]] && ! command -v hyperfine >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing hyperfine with apt-get"
    apt-get install -y -qq hyperfine >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq hyperfine >/dev/null 2>&1; } || true
  fi
  command -v hyperfine >/dev/null || { warn "hyperfine is not installed; using the Go timer in bench/versionbench"; timer=go; }
fi
case "$timer" in
  hyperfine) timer_desc="hyperfine $(hyperfine --version | awk '{print $2}') (\`-N --runs 1\`, one call per command and round)" ;;
  go)
    (cd "$root" && go build -o "$cache/bin/versionbench" ./bench/versionbench) || die "bench/versionbench does not build"
    timer_desc="bench/versionbench's timer (no shell, one run per command and round)" ;;
  *) die "BENCH_TIMER must be hyperfine or go" ;;
esac
command -v zip >/dev/null || die "zip is not installed (the floor with archives needs it): apt-get install zip"

# --- shipline -----------------------------------------------------------------
shipline=
shipline_pkg=${BENCH_SHIPLINE_PKG:-./cmd/shipline}
shipline_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]] && shipline_rev+=" with uncommitted changes"
say "building shipline (go build $shipline_pkg)"
if (cd "$root" && go build -o "$work/shipline" "$shipline_pkg") 2>"$work/build.err"; then
  shipline=$work/shipline
else
  warn "skipping shipline: $shipline_pkg does not build (yet?):"
  head -n 5 "$work/build.err" | sed 's/^/    /' >&2
  notes+=("shipline was not measured: $shipline_pkg did not build")
fi
shipline_flags=()
# Signing, if the build command has it, stays off: no key is configured in
# either project, and the flag says so explicitly.
if [[ -n "$shipline" ]] && "$shipline" build --help 2>/dev/null | grep -q -- '--no-sign'; then
  shipline_flags+=(--no-sign)
fi

# --- the projects ---------------------------------------------------------------
# Each project is a git repository with its module at the root:
#   src_P     the directory       main_P     the main package ("." or ./cmd/x)
#   bin_P     the binary's name   title_P    for the report
declare -A src main bin title
setup_fzf() {
  local dir=$cache/src/fzf-$fzf_version
  if [[ ! -f "$dir.ready" ]]; then
    say "fetching $fzf_module@$fzf_version and its dependencies from the Go module proxy (once)"
    rm -rf "$dir"
    local tmpmod modsrc
    tmpmod=$(mktemp -d "$work/fzf.XXXXXX")
    modsrc=$(cd "$tmpmod" && "${fetchenv[@]}" go mod download -json "$fzf_module@$fzf_version" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || return 1
    [[ -d "$modsrc" ]] || return 1
    cp -R "$modsrc" "$dir" && chmod -R u+w "$dir"
    (cd "$dir" && "${fetchenv[@]}" go mod download) || return 1
    # A release checkout: one commit, tagged, with an origin remote (without
    # one GoReleaser ignores git in snapshot mode and builds 0.0.0-none).
    g -C "$dir" init -q -b master
    g -C "$dir" add -A
    g -C "$dir" commit -q -m "chore: fzf $fzf_version from the Go module proxy"
    g -C "$dir" tag "$fzf_version"
    g -C "$dir" remote add origin "https://$fzf_module.git"
    touch "$dir.ready"
  fi
  src[fzf]=$dir main[fzf]=. bin[fzf]=fzf
  title[fzf]="fzf $fzf_version ($fzf_module, from the Go module proxy; HEAD tagged $fzf_version)"
}
setup_shipline() {
  local dir=$work/shipline-src head
  head=$(git -C "$root" rev-parse HEAD)
  say "cloning Shipline's HEAD ($(git -C "$root" rev-parse --short HEAD)) into $dir"
  g clone -q "$root" "$dir" || return 1
  # Shipline's own main package has no version variable (yet?): with the
  # default ldflags (-X main.version=...) its binaries would fail
  # verification. The clone gets one, referenced so the linker keeps it.
  if ! "$bb" hasvar "$dir/cmd/shipline" version; then
    cat >"$dir/cmd/shipline/benchversion.go" <<'EOF'
package main

// Added by bench/builds.sh: the variables the default ldflags set.
var version, commit, date string

func init() {
	if version == "\x00" {
		println(commit, date)
	}
}
EOF
    g -C "$dir" add cmd/shipline/benchversion.go
    g -C "$dir" commit -q -m "chore: main.version for bench/builds.sh"
    notes+=("Shipline's cmd/shipline has no \`version\` variable, so \`shipline build\` of Shipline with the default ldflags fails verification (\"no Go string variable holds it\"); the benchmark's clone adds \`var version, commit, date string\` in one commit on top of HEAD")
  fi
  (cd "$dir" && "${fetchenv[@]}" go mod download) || return 1
  src[shipline]=$dir main[shipline]=./cmd/shipline bin[shipline]=shipline
  local tag
  tag=$(g -C "$dir" describe --tags --abbrev=0 2>/dev/null) && tag="last tag $tag" || tag=untagged
  title[shipline]="Shipline at ${head:0:7} (a clone of HEAD, $tag)"
}
active=()
for p in $projects; do
  if "setup_$p" && (cd "${src[$p]}" && "${benchenv[@]}" go list -deps "${main[$p]}" >"$work/deps-$p"); then
    active+=("$p")
  else
    warn "skipping $p: it could not be set up or its packages do not load offline"
    notes+=("$p was not measured: it could not be set up")
  fi
done
(( ${#active[@]} )) || die "no project to build"

# --- the commands -------------------------------------------------------------
# The go build that Shipline runs for a target (build/gocmd.go) and the
# floor script repeats: -trimpath -buildvcs=false, the default ldflags and
# -buildid=, CGO_ENABLED=0, the variant variable of the target.
target_dir() { local t=${1//\//_}; printf '%s' "$t"; } # linux/arm/v7 -> linux_arm_v7
write_floor() { # write_floor PROJECT SCRIPT DIST
  local p=$1 script=$2 dist=$3 commit date version t
  commit=$(g -C "${src[$p]}" rev-parse HEAD)
  date=$(TZ=UTC g -C "${src[$p]}" log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)
  version=v0.0.0-SNAPSHOT-${commit:0:7}
  {
    printf '#!/usr/bin/env bash\n'
    # shellcheck disable=SC2016 # backquotes for the reader
    printf '# The floor for building %s: the go build commands that `shipline build` runs,\n' "$p"
    printf '# %s at a time (xargs -P %s). With "archives", each job also writes the\n' "$par" "$par"
    printf '# archive of its binary (tar | gzip -%s, or zip -%s for windows, with LICENSE*\n' "$archive_level" "$archive_level"
    printf '# and README*), and a sha256sum of every file follows.\n'
    printf 'set -euo pipefail\n'
    printf 'src=%q dist=%q main=%q bin=%q version=%q par=%q level=%q\n' "${src[$p]}" "$dist" "${main[$p]}" "${bin[$p]}" "$version" "$par" "$archive_level"
    printf 'ldflags=%q\n' "-s -w -X main.version=$version -X main.commit=$commit -X main.date=$date -buildid="
    cat <<'EOF'
cd "$src"
if [[ "${1:-}" == job ]]; then # job ARCHIVES GOOS GOARCH VARIANT_ENV DIR_SUFFIX
  archives=$2 goos=$3 goarch=$4 venv=$5 suffix=$6
  name=$bin; [[ "$goos" == windows ]] && name=$bin.exe
  mkdir -p "$dist/${bin}_$suffix"
  env CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" "$venv" \
    go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$dist/${bin}_$suffix/$name" "$main"
  [[ "$archives" == 1 ]] || exit 0
  shopt -s nullglob
  docs=(LICENSE* README*)
  if [[ "$goos" == windows ]]; then
    zip -q -j -X "-$level" "$dist/${bin}_${version}_$suffix.zip" "$dist/${bin}_$suffix/$name" "${docs[@]}"
  else
    tar -cf - -C "$dist/${bin}_$suffix" "$name" -C "$src" "${docs[@]}" | gzip "-$level" >"$dist/${bin}_${version}_$suffix.tar.gz"
  fi
  exit 0
fi
archives=0; [[ "${1:-}" == archives ]] && archives=1
rm -rf "$dist"
mkdir -p "$dist"
xargs -P "$par" -L 1 bash "$0" job "$archives" <<'JOBS'
EOF
    for t in "${targets[@]}"; do
      IFS=/ read -r os arch variant <<<"$t"
      local venv="GOARM="
      case "$arch" in
        arm) venv="GOARM=${variant#v}" ;;
        amd64) venv="GOAMD64=${variant}" ;;
      esac
      printf '%s %s %s %s\n' "$os" "$arch" "$venv" "$(target_dir "$t")"
    done
    printf 'JOBS\n'
    cat <<'EOF'
if [[ "$archives" == 1 ]]; then
  cd "$dist" && sha256sum -- */* *.tar.gz *.zip >checksums.txt
fi
EOF
  } >"$script"
}

write_goreleaser_config() { # write_goreleaser_config PROJECT FILE DIST
  local p=$1 file=$2 dist=$3 t gt
  {
    printf 'version: 2\nproject_name: %s\ndist: %s\n' "$p" "$dist"
    printf 'builds:\n  - id: %s\n    main: %s\n    binary: %s\n' "${bin[$p]}" "${main[$p]}" "${bin[$p]}"
    printf '    env: [CGO_ENABLED=0]\n    flags: [-trimpath, -buildvcs=false]\n'
    printf '    ldflags: ["-s -w -X main.version={{.Version}} -X main.commit={{.Commit}} -X main.date={{.Date}} -buildid="]\n'
    printf '    targets:\n'
    for t in "${targets[@]}"; do
      gt=${t//\//_}; gt=${gt/_v7/_7} # linux/arm/v7 -> linux_arm_7
      printf '      - %s\n' "$gt"
    done
    cat <<'EOF'
archives:
  - formats: [tar.gz]
    format_overrides:
      - goos: windows
        formats: [zip]
    files: [LICENSE*, README*]
checksum:
  name_template: checksums.txt
changelog:
  disable: true
release:
  disable: true
EOF
  } >"$file"
}

# id|directory|command line (split on blanks, no shell)
cmds=()
for p in "${active[@]}"; do
  d=$work/dist/$p
  mkdir -p "$d"
  write_floor "$p" "$work/floor-$p.sh" "$d/floor"
  if [[ -n "$shipline" ]]; then
    cmds+=("$p/shipline|${src[$p]}|$shipline build --snapshot --clean --parallelism $par --targets $(IFS=,; echo "${targets[*]}") --dist $d/shipline ${shipline_flags[*]}")
  fi
  if [[ -n "$goreleaser" ]]; then
    write_goreleaser_config "$p" "$work/goreleaser-$p-build.yaml" "$d/goreleaser-build"
    write_goreleaser_config "$p" "$work/goreleaser-$p-release.yaml" "$d/goreleaser-release"
    cmds+=("$p/goreleaser-build|${src[$p]}|$goreleaser build --snapshot --clean --parallelism $par -f $work/goreleaser-$p-build.yaml")
    cmds+=("$p/goreleaser-release|${src[$p]}|$goreleaser release --snapshot --clean --parallelism $par -f $work/goreleaser-$p-release.yaml")
  fi
  cmds+=("$p/floor|${src[$p]}|bash $work/floor-$p.sh")
  cmds+=("$p/floor-archives|${src[$p]}|bash $work/floor-$p.sh archives")
done

# dist_of ID: the dist directory a command writes.
dist_of() { local p=${1%%/*} t=${1#*/}; [[ "$t" == floor-archives ]] && t=floor; printf '%s' "$work/dist/$p/$t"; }

time_one() { # time_one ID DIR CMDLINE JSON
  local id=$1 dir=$2 cmdline=$3 json=$4
  if [[ "$timer" == hyperfine ]]; then
    (cd "$dir" && "${benchenv[@]}" hyperfine -N --runs 1 --style none --export-json "$json" \
      --output null -n "$id" "$cmdline") >/dev/null 2>"$work/err"
  else
    (cd "$dir" && "${benchenv[@]}" "$cache/bin/versionbench" time -export-json "$json" "$id" "$cmdline") 2>"$work/err"
  fi
}

# --- warm-up, and what each command made ----------------------------------------
# One untimed run of each command fills the build cache (the first one for a
# project compiles everything, for every target) and shows what it writes.
info=$work/info
: >"$info"
say "warm-up: one untimed run of each command (the first of each project compiles everything)"
kept=()
for c in "${cmds[@]}"; do
  IFS='|' read -r id dir cmdline <<<"$c"
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2086 # split on blanks, as hyperfine -N splits it
  if ! (cd "$dir" && "${benchenv[@]}" $cmdline) >"$work/warm.out" 2>"$work/err"; then
    warn "skipping $id: it failed:"; tail -n 15 "$work/err" | sed 's/^/    /' >&2
    notes+=("$id was not measured: it failed ($(grep -v '^\s*$' "$work/err" | tail -n1 | cut -c1-200))")
    continue
  fi
  p=${id%%/*}
  d=$(dist_of "$id")
  nbin=$(find "$d" -type f \( -name "${bin[$p]}" -o -name "${bin[$p]}.exe" \) | wc -l)
  nfiles=$(find "$d" -type f | wc -l)
  arcs=$(find "$d" -maxdepth 1 -type f \( -name '*.tar.gz' -o -name '*.zip' \) -printf '%s\n' | awk '{n++; s+=$1} END{printf "%d %d", n, s}')
  bins=$(find "$d" -type f \( -name "${bin[$p]}" -o -name "${bin[$p]}.exe" \) -printf '%s\n' | awk '{s+=$1} END{printf "%d", s}')
  sums=0; [[ -f "$d/checksums.txt" ]] && sums=1
  sboms=$(find "$d" -type f \( -name '*sbom*' -o -name '*.cdx.json' -o -name '*.spdx.json' \) | wc -l)
  provs=$(find "$d" -type f \( -name '*.intoto.json*' -o -name '*provenance*' \) | wc -l)
  sigs=$(find "$d" -type f \( -name '*.sig' -o -name '*.bundle' -o -name '*.pem' \) | wc -l)
  say "$id: $nbin binaries, ${arcs%% *} archives, $nfiles files ($(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $t0}") s)"
  if (( nbin != ${#targets[@]} )); then
    warn "$id made $nbin binaries, not ${#targets[@]}; skipping it"
    notes+=("$id was not measured: it made $nbin binaries, not ${#targets[@]}")
    continue
  fi
  key=${id//[-\/]/_}
  {
    echo "OUT_${key}=$nfiles $nbin ${arcs} $bins $sums $sboms $provs $sigs"
  } >>"$info"
  kept+=("$c")
done
cmds=("${kept[@]}")
(( ${#cmds[@]} )) || die "nothing left to time"
if [[ -n "$shipline" ]]; then
  for p in "${active[@]}"; do
    v=$(grep -m1 '"version"' "$(dist_of "$p/shipline")/artifacts.json" 2>/dev/null | sed 's/.*: *"\(.*\)".*/\1/') || true
    echo "VERSION_${p}_shipline=$v" >>"$info"
  done
fi
if [[ -n "$goreleaser" ]]; then
  for p in "${active[@]}"; do
    v=$(grep -o '"version": *"[^"]*"' "$(dist_of "$p/goreleaser-build")/metadata.json" 2>/dev/null | head -n1 | sed 's/.*"\([^"]*\)"$/\1/') || true
    echo "VERSION_${p}_goreleaser=$v" >>"$info"
  done
fi

# --- timing -------------------------------------------------------------------
# A round runs every command due in it once: fzf's in BENCH_BUILD_RUNS
# rounds, Shipline's (several times longer) in BENCH_BUILD_SLOW_RUNS, spread
# evenly over them. The order turns by one each round, so that no command
# always runs first (or right after the slowest).
declare -A project_runs=([fzf]=$runs [shipline]=$slow_runs)
rounds=0
for p in "${active[@]}"; do (( project_runs[$p] > rounds )) && rounds=${project_runs[$p]}; done
due() { # due N ROUND: whether a command timed N times runs in ROUND (0-based)
  (( ($2 + 1) * $1 / rounds > $2 * $1 / rounds ))
}
# The benchmark's own builds keep about BENCH_PARALLELISM processes
# running, and the 1-minute load average remembers the warm-up: more than
# one above that means other work.
busy=$((par + 1))
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
if awk -v l="$load_before" -v b="$busy" 'BEGIN{exit !(l+0 > b)}'; then
  warn "load average is $load_before on $(nproc) cores: other work is running and the numbers will be noisy"
fi
say "timing: $rounds rounds of up to ${#cmds[@]} commands ($(for p in "${active[@]}"; do printf '%s %s times; ' "$p" "${project_runs[$p]}"; done | sed 's/; $//')), $timer_desc"
jsons=()
loads=()
n=${#cmds[@]}
t_start=$EPOCHREALTIME
for (( r = 0; r < rounds; r++ )); do
  loads+=("$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')")
  printf '    round %d/%d (load %s):' "$((r + 1))" "$rounds" "${loads[-1]}" >&2
  for (( i = 0; i < n; i++ )); do
    c=${cmds[(i + r) % n]}
    IFS='|' read -r id dir cmdline <<<"$c"
    due "${project_runs[${id%%/*}]}" "$r" || continue
    json=$work/round-$r-${id//\//_}.json
    if ! time_one "$id" "$dir" "$cmdline" "$json"; then
      printf '\n' >&2
      tail -n 15 "$work/err" | sed 's/^/    /' >&2
      die "$id failed: $cmdline"
    fi
    jsons+=("$json")
    printf ' %s' "$id" >&2
  done
  printf '\n' >&2
done
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
elapsed=$(awk "BEGIN{printf \"%.0f\", $EPOCHREALTIME - $t_start}")
say "timing took $elapsed s"
load_max=$(printf '%s\n' "${loads[@]}" "$load_after" | sort -g | tail -n1)
load_min=$(printf '%s\n' "${loads[@]}" "$load_after" | sort -g | head -n1)
if awk -v l="$load_max" -v b="$busy" 'BEGIN{exit !(l+0 > b)}'; then
  notes+=("the 1-minute load average was between $load_min and $load_max on $(nproc) cores during timing, of which the benchmark's own $par builds at a time account for about $par: other work was running at times, so medians are noisier; the minimums and the CPU times are the steadier figures")
fi

# --- report -------------------------------------------------------------------
{
  echo "DATE=$(date -u +%F)"
  echo "NPROC=$(nproc)"
  echo "ARCH=$(uname -m)"
  echo "CPU=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
  echo "GO_VERSION=$(go version | awk '{print $3}')"
  echo "GIT_VERSION=$(git --version)"
  echo "GORELEASER_VERSION=$goreleaser_version"
  echo "SHIPLINE_REV=$shipline_rev"
  echo "SHIPLINE_FLAGS=${shipline_flags[*]}"
  echo "ARCHIVE_LEVEL=$archive_level"
  echo "LOAD_START=$load_before"
  echo "LOAD_MIN=$load_min"
  echo "LOAD_MAX=$load_max"
  echo "TIMING_SECONDS=$elapsed"
  echo "TIMER=$timer_desc"
  echo "ROUNDS=$rounds"
  echo "PARALLELISM=$par"
  echo "CPUS=$(nproc)"
  echo "TARGETS=${targets[*]}"
  echo "PROJECTS=${active[*]}"
  for p in "${active[@]}"; do
    echo "TITLE_$p=${title[$p]}"
    echo "PACKAGES_$p=$(wc -l <"$work/deps-$p" | tr -d ' ')"
    echo "MAIN_$p=${main[$p]}"
    echo "RUNS_$p=${project_runs[$p]}"
    if [[ -f "${src[$p]}/.shipline.yaml" ]]; then
      echo "CONFIG_$p=the repository's .shipline.yaml (its targets replaced by --targets)"
      if grep -q 'compression-level' "${src[$p]}/.shipline.yaml"; then
        notes+=("$p's .shipline.yaml sets archive.compression-level, so Shipline's archives of $p are not at level $archive_level, unlike the floor's")
      fi
    else
      echo "CONFIG_$p=none (Shipline's defaults)"
    fi
  done
  if (( ${#notes[@]} )); then
    printf 'NOTES=%s' "${notes[0]}"
    for x in "${notes[@]:1}"; do printf ' | %s' "$x"; done
    echo
  fi
} >>"$info"
say "writing section \"Builds\" to $out"
"$bb" report -out "$out" -title "Builds" -info "$info" "${jsons[@]}"
