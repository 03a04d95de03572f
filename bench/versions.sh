#!/usr/bin/env bash
# bench/versions.sh: the speed benchmark of Shipline's version engine.
#
# On a generated repository of 100,000 commits (Conventional Commits, semver
# tags every ~1000 commits, the last one 200 commits before HEAD), it times
# `shipline version next` against svu and git-cliff and against the floor
# (`git log` of the commits since the last tag), and `shipline changelog --all`
# against `git log` of all messages; then it replaces the "Versions (100k
# commits)" section of BENCHMARKS.md. The repository, svu and git-cliff are
# built once and cached under ${TMPDIR:-/tmp}/shipline-bench. See
# bench/README.md for what it measures and the knobs below.
#
#   bash bench/versions.sh
#
# Knobs (environment):
#   BENCH_RUNS=20         rounds for the quick commands
#   BENCH_SLOW_RUNS=3     rounds for the ones that read the whole history
#   BENCH_CLIFF_FULL=1    0 skips `git-cliff --bumped-version` (~40 s a run)
#   BENCH_COMMITS=100000  size of the repository (others write their results
#                         beside the cache, not to BENCHMARKS.md)
#   BENCH_COMMIT_GRAPH=1  0 leaves the repository without a commit-graph
#   BENCH_TIMER=hyperfine or go (the Go fallback in bench/versionbench)
#   BENCH_CACHE=${TMPDIR:-/tmp}/shipline-bench
#   BENCH_OUT=<file>      where to write the section (default BENCHMARKS.md)
#   BENCH_SHIPLINE_PKG=./cmd/shipline  the package to build as shipline
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
commits=${BENCH_COMMITS:-100000}
runs=${BENCH_RUNS:-20}
slow_runs=${BENCH_SLOW_RUNS:-3}
cliff_full=${BENCH_CLIFF_FULL:-1}
commit_graph=${BENCH_COMMIT_GRAPH:-1}
timer=${BENCH_TIMER:-hyperfine}
cache=${BENCH_CACHE:-${TMPDIR:-/tmp}/shipline-bench}
svu_version=v3.4.1
cliff_version=2.14.2

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'versions.sh: %s\n' "$*" >&2; exit 1; }

case "$cache" in *[[:space:]]*) die "BENCH_CACHE must not contain blanks: $cache" ;; esac
for n in "$commits" "$runs" "$slow_runs"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_COMMITS, BENCH_RUNS and BENCH_SLOW_RUNS must be positive integers"
done
if (( commits % 1000 == 0 )); then label="$((commits / 1000))k"; else label=$commits; fi
title="Versions ($label commits)"
if [[ -n "${BENCH_OUT:-}" ]]; then
  out=$BENCH_OUT
elif [[ "$commits" == 100000 ]]; then
  out=$root/BENCHMARKS.md
else
  out=$cache/results-$label.md
fi

mkdir -p "$cache/bin" "$cache/peers"
work=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin=$work/bin
mkdir -p "$bin"

# The tools run with no user or system git config, so that pagers, colours
# or signature checks set on this machine do not weigh on one tool only.
gitenv=(env GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_PAGER=cat PAGER=cat NO_COLOR=1)

# --- the helper -------------------------------------------------------------
say "building bench/versionbench"
(cd "$root" && go build -o "$cache/bin/versionbench" ./bench/versionbench) || die "bench/versionbench does not build"
vb=$cache/bin/versionbench

# --- the repository -----------------------------------------------------------
# Keyed by size, the generator's source and the commit-graph choice, so that a
# change to any of them makes a new one.
setup_rev=2 # bump when the setup below changes
genhash=$( (cat "$root"/bench/versionbench/gen.go; echo "$setup_rev") | sha256sum | cut -c1-10)
cg=cg; [[ "$commit_graph" == 1 ]] || cg=nocg
repo=$cache/repo-$label-$genhash-$cg
meta=$repo.meta
if [[ ! -f "$repo.ready" ]]; then
  say "generating $repo ($commits commits; once, then cached)"
  for old in "$cache"/repo-"$label"-*-"$cg" "$cache"/repo-"$label"-*-"$cg".*; do
    [[ -e "$old" && "$old" != "$repo"* ]] && rm -rf "$old"
  done
  rm -rf "$repo" "$repo.tmp"
  t0=$EPOCHREALTIME
  "${gitenv[@]}" git init -q -b main "$repo.tmp"
  "$vb" gen -commits "$commits" -meta "$meta" | "${gitenv[@]}" git -C "$repo.tmp" fast-import --quiet
  # What a clone has: a worktree, an origin remote (on GitHub, so changelogs
  # can link), one packfile, packed-refs and (after its first gc, with
  # gc.writeCommitGraph on by default) a commit-graph. No one fetches.
  g() { "${gitenv[@]}" git -C "$repo.tmp" "$@"; }
  g checkout -q -f main
  g remote add origin https://github.com/shipyard-dev/shipyard.git
  g update-ref refs/remotes/origin/main refs/heads/main
  g symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
  g branch -q --set-upstream-to=origin/main main
  g repack -adq
  g pack-refs --all
  if [[ "$commit_graph" == 1 ]]; then
    g commit-graph write --reachable --no-progress
  fi
  mv "$repo.tmp" "$repo"
  touch "$repo.ready"
  say "generated in $(awk "BEGIN{printf \"%.0f\", $EPOCHREALTIME - $t0}") s"
fi
# shellcheck disable=SC1090
source "$meta"
if [[ "$commit_graph" == 1 ]]; then
  repo_setup='`git checkout`, an origin remote on GitHub (never fetched), `git repack -adq`, `git pack-refs --all` and `git commit-graph write --reachable`: one packfile, packed-refs and a commit-graph, as a clone has after its first gc'
else
  repo_setup='`git checkout`, an origin remote on GitHub (never fetched), `git repack -adq` and `git pack-refs --all`: one packfile and packed-refs, no commit-graph (BENCH_COMMIT_GRAPH=0)'
fi
say "repository: $COMMITS commits, $TAGS tags ($FIRST_TAG .. $LAST_TAG, $ANNOTATED_TAGS annotated), $TAIL_COMMITS commits since $LAST_TAG; expected next: $EXPECTED_NEXT"

# --- the peers ----------------------------------------------------------------
svu=$cache/peers/svu-$svu_version/svu
if [[ ! -x "$svu" ]]; then
  say "building svu $svu_version from the Go module proxy (once)"
  tmpmod=$(mktemp -d "$work/svu.XXXXXX")
  if (cd "$tmpmod" && export GOWORK=off GOFLAGS=-mod=mod &&
      go mod init benchpeers >/dev/null 2>&1 &&
      go get "github.com/caarlos0/svu/v3@$svu_version" &&
      go build -o "$svu.tmp" github.com/caarlos0/svu/v3); then
    mv "$svu.tmp" "$svu"
  else
    warn "could not build svu $svu_version; it will not be measured"
    svu=
  fi
fi

cliff_dir=$cache/peers/git-cliff-$cliff_version
cliff=
find_cliff() {
  # The npm package's bin is a Node wrapper that spawns the platform
  # binary; we run the binary itself, so Node's start-up is not timed.
  find "$cliff_dir/node_modules" -path '*/git-cliff-*/bin/git-cliff' -type f 2>/dev/null | head -n1
}
[[ -d "$cliff_dir/node_modules" ]] && cliff=$(find_cliff)
if [[ -z "$cliff" ]]; then
  if command -v npm >/dev/null; then
    say "installing git-cliff $cliff_version from npm (once)"
    rm -rf "$cliff_dir"
    if npm install --prefix "$cliff_dir" --no-audit --no-fund --loglevel=error "git-cliff@$cliff_version" >&2; then
      cliff=$(find_cliff)
    fi
  fi
  [[ -n "$cliff" ]] || warn "could not install git-cliff $cliff_version from npm; it will not be measured"
fi
if [[ -n "$cliff" ]]; then
  got=$("$cliff" --version 2>/dev/null || true)
  [[ "$got" == "git-cliff $cliff_version" ]] || warn "expected git-cliff $cliff_version, $cliff says: $got"
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
  go) timer_desc="bench/versionbench's own timer (no shell, one run per command and round)" ;;
  *) die "BENCH_TIMER must be hyperfine or go" ;;
esac

# --- shipline -----------------------------------------------------------------
notes=()
shipline=
shipline_pkg=${BENCH_SHIPLINE_PKG:-./cmd/shipline}
say "building shipline (go build $shipline_pkg)"
if (cd "$root" && go build -buildvcs=false -o "$bin/shipline" "$shipline_pkg") 2>"$work/build.err"; then
  shipline=$bin/shipline
else
  warn "skipping shipline: $shipline_pkg does not build (yet?):"
  head -n 5 "$work/build.err" | sed 's/^/    /' >&2
  notes+=("shipline was not measured: $shipline_pkg did not build")
fi

# --- correctness, before any timing ---------------------------------------------
# run_in_repo CMD... prints the command's stdout, or fails with its stderr.
run_in_repo() { (cd "$repo" && "${gitenv[@]}" "$@") 2>"$work/err"; }
elapsed() { awk "BEGIN{printf \"%.0f ms\", ($EPOCHREALTIME - $1) * 1000}"; }
norm() { local v=${1#v}; printf '%s' "$v"; }

answer_shipline="not run"; have_version_next=0; have_changelog=0
changelog_lines=; changelog_releases=
if [[ -n "$shipline" ]]; then
  t0=$EPOCHREALTIME
  if ans=$(run_in_repo "$shipline" version next); then
    answer_shipline=$(printf '%s' "$ans" | tail -n1 | tr -d '[:space:]')
    have_version_next=1
    say "shipline version next: $answer_shipline ($(elapsed "$t0"))"
  else
    warn "skipping \`shipline version next\`: it failed in $repo:"; sed 's/^/    /' "$work/err" >&2
    answer_shipline="not measured: it failed"
    notes+=("\`shipline version next\` failed: $(head -n1 "$work/err")")
  fi
  t0=$EPOCHREALTIME
  if run_in_repo "$shipline" changelog --all >"$work/changelog.md"; then
    have_changelog=1
    changelog_lines=$(wc -l <"$work/changelog.md" | tr -d ' ')
    changelog_releases=$(grep -c '^## ' "$work/changelog.md" || true)
    say "shipline changelog --all: $changelog_lines lines, $changelog_releases '## ' release headings for $((TAGS + 1)) releases in the history ($(elapsed "$t0"))"
  else
    warn "skipping \`shipline changelog --all\`: it failed:"; sed 's/^/    /' "$work/err" >&2
    notes+=("\`shipline changelog --all\` failed: $(head -n1 "$work/err")")
  fi
fi

answer_svu="not run"
if [[ -n "$svu" ]]; then
  t0=$EPOCHREALTIME
  if ans=$(run_in_repo "$svu" next); then
    answer_svu=$(printf '%s' "$ans" | tr -d '[:space:]')
    say "svu next: $answer_svu ($(elapsed "$t0"))"
  else
    warn "svu next failed:"; sed 's/^/    /' "$work/err" >&2
    answer_svu="not measured: it failed"; svu=
  fi
fi

answer_cliff_unreleased="not run"; answer_cliff="not run"
if [[ -n "$cliff" ]]; then
  t0=$EPOCHREALTIME
  if ans=$(run_in_repo "$cliff" --bumped-version --unreleased); then
    answer_cliff_unreleased=$(printf '%s' "$ans" | tail -n1 | tr -d '[:space:]')
    say "git-cliff --bumped-version --unreleased: $answer_cliff_unreleased ($(elapsed "$t0"))"
  else
    warn "git-cliff failed:"; sed 's/^/    /' "$work/err" >&2
    answer_cliff_unreleased="not measured: it failed"; cliff=
  fi
  # The full `git-cliff --bumped-version` takes long; its answer is read
  # from its first timed run instead of a run of its own.
fi

say "expected from the tags and commits: $EXPECTED_NEXT (last tag $LAST_TAG, then $TAIL_COMMITS commits with a $TAIL_BUMP change at most)"
for pair in "shipline:$answer_shipline" "svu:$answer_svu" "git-cliff --unreleased:$answer_cliff_unreleased"; do
  tool=${pair%%:*} ans=${pair#*:}
  [[ "$ans" == not* ]] && continue
  if [[ "$(norm "$ans")" != "$(norm "$EXPECTED_NEXT")" ]]; then
    warn "$tool answers $ans, the history implies $EXPECTED_NEXT"
    notes+=("$tool answers $ans where the history implies $EXPECTED_NEXT")
  fi
done
if [[ "$answer_shipline" != not* && "$answer_svu" != not* && "$(norm "$answer_shipline")" != "$(norm "$answer_svu")" ]]; then
  warn "shipline ($answer_shipline) and svu ($answer_svu) differ (svu matches substrings such as 'feat:' anywhere in a title)"
fi

# --- timing -------------------------------------------------------------------
# id|group|command line (split on blanks, no shell)
cmds=()
(( have_version_next )) && cmds+=("version-next|quick|$shipline version next")
[[ -n "$svu" ]] && cmds+=("svu-next|quick|$svu next")
[[ -n "$cliff" ]] && cmds+=("cliff-unreleased|quick|$cliff --bumped-version --unreleased")
cmds+=("floor|quick|git log --format=%B $LAST_TAG..HEAD")
[[ -n "$cliff" && "$cliff_full" == 1 ]] && cmds+=("cliff-bumped|slow|$cliff --bumped-version")
(( have_changelog )) && cmds+=("changelog-all|slow|$shipline changelog --all")
cmds+=("log-all|slow|git log --format=%B")

# A round runs every command due in it once, in the order above. The slow
# group's rounds are spread evenly over the quick group's.
rounds=$(( runs > slow_runs ? runs : slow_runs ))
due() { # due N ROUND: whether a group of N runs runs in ROUND (0-based)
  (( ($2 + 1) * $1 / rounds > $2 * $1 / rounds ))
}
time_one() { # time_one ID CMDLINE JSON [OUTPUT]
  local id=$1 cmdline=$2 json=$3 output=${4:-}
  if [[ "$timer" == hyperfine ]]; then
    "${gitenv[@]}" hyperfine -N --runs 1 --style none --export-json "$json" \
      --output "${output:-null}" -n "$id" "$cmdline" >/dev/null 2>"$work/err"
  elif [[ -n "$output" ]]; then
    "${gitenv[@]}" "$vb" time -export-json "$json" -output "$output" "$id" "$cmdline" 2>"$work/err"
  else
    "${gitenv[@]}" "$vb" time -export-json "$json" "$id" "$cmdline" 2>"$work/err"
  fi
}
# Other work on the machine makes every number noisy; say so in the report.
load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN{exit !(l+0 > n/2)}'; then
  warn "load average is $load_before on $(nproc) cores: other work is running and the numbers will be noisy"
  notes+=("the 1-minute load average was $load_before on $(nproc) cores when timing began: other work was running, so medians are noisy; the minimums are the steadier figures")
fi
say "timing: $rounds rounds ($runs for quick commands, $slow_runs for whole-history ones), $timer_desc"
cd "$repo"
jsons=()
t_start=$EPOCHREALTIME
for (( r = 0; r < rounds; r++ )); do
  printf '    round %d/%d:' "$((r + 1))" "$rounds" >&2
  for c in "${cmds[@]}"; do
    IFS='|' read -r id group cmdline <<<"$c"
    n=$runs; [[ "$group" == slow ]] && n=$slow_runs
    due "$n" "$r" || continue
    json=$work/round-$r-$id.json
    output=
    [[ "$id" == cliff-bumped && ! -f "$work/cliff-bumped.out" ]] && output=$work/cliff-bumped.out
    if ! time_one "$id" "$cmdline" "$json" "$output"; then
      printf '\n' >&2
      sed 's/^/    /' "$work/err" >&2
      die "$id failed: $cmdline"
    fi
    jsons+=("$json")
    printf ' %s' "$id" >&2
  done
  printf '\n' >&2
done
cd "$root"
say "timing took $(awk "BEGIN{printf \"%.0f\", $EPOCHREALTIME - $t_start}") s"

if [[ -f "$work/cliff-bumped.out" ]]; then
  answer_cliff=$(grep -E '^v?[0-9]+\.[0-9]+\.[0-9]+' "$work/cliff-bumped.out" | tail -n1 | tr -d '[:space:]')
  [[ -n "$answer_cliff" ]] || answer_cliff="no version in its output"
  say "git-cliff --bumped-version (first timed run): $answer_cliff"
  if [[ "$(norm "$answer_cliff")" != "$(norm "$EXPECTED_NEXT")" ]]; then
    warn "git-cliff --bumped-version answers $answer_cliff, the history implies $EXPECTED_NEXT"
    notes+=("git-cliff --bumped-version answers $answer_cliff where the history implies $EXPECTED_NEXT")
  fi
elif [[ -n "$cliff" ]]; then
  answer_cliff="not measured (BENCH_CLIFF_FULL=0)"
fi

# --- report -------------------------------------------------------------------
info=$work/info
{
  cat "$meta"
  echo "DATE=$(date -u +%F)"
  echo "NPROC=$(nproc)"
  echo "ARCH=$(uname -m)"
  echo "CPU=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
  echo "GIT_VERSION=$(git --version)"
  echo "GO_VERSION=$(go version | awk '{print $3}')"
  echo "LOAD=$load_before"
  echo "TIMER=$timer_desc"
  echo "RUNS=$runs"
  echo "SLOW_RUNS=$slow_runs"
  echo "REPO_SETUP=$repo_setup"
  echo "SVU_VERSION=$svu_version"
  echo "CLIFF_VERSION=$cliff_version"
  echo "ANSWER_SHIPLINE=$answer_shipline"
  echo "ANSWER_SVU=$answer_svu"
  echo "ANSWER_CLIFF_UNRELEASED=$answer_cliff_unreleased"
  echo "ANSWER_CLIFF=$answer_cliff"
  echo "CHANGELOG_LINES=$changelog_lines"
  echo "CHANGELOG_RELEASES=$changelog_releases"
  if (( ${#notes[@]} )); then
    printf 'NOTES=%s' "${notes[0]}"
    for n in "${notes[@]:1}"; do printf ' | %s' "$n"; done
    echo
  fi
} >"$info"
say "writing section \"$title\" to $out"
"$vb" report -out "$out" -title "$title" -info "$info" "${jsons[@]}"
