#!/usr/bin/env bash
# Mutation testing as a figure (a benchmark, not part of CI): mutmut breaks the named modules one
# small change at a time and counts the changes the fast tests catch (killed) or miss (survived).
#
#   scripts/mutation.sh [--from DIR] [--tests 'PATH ...'] [--jobs N] [--timeout S] [MODULE.py ...]
#
#   MODULE.py      files to mutate (default: assistant/metrics.py assistant/retrieval.py)
#   --from DIR     the project copy to test (default: this working tree, untracked files too)
#   --tests PATHS  test files or folders to run against each mutant (default: the fast suite;
#                  each mutant runs only the selected tests that reach the mutated function)
#   --jobs N       mutants run at once (default 1: the machine is shared)
#   --timeout S    stop after S seconds and report what was checked (default 1800)
#
# Runs in a scratch copy, so the working tree never gets mutmut's mutants/ folder. Prints
# killed / survived per module with the date, then every surviving mutant's diff.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

src=$root jobs=1 limit=1800 tests='' modules=()
while (($#)); do
    case $1 in
    --from) src=$(cd "$2" && pwd); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "mutation.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) modules+=("$1"); shift ;;
    esac
done
((${#modules[@]})) || modules=(assistant/metrics.py assistant/retrieval.py)
for m in "${modules[@]}"; do
    [[ -f $src/$m ]] || { echo "mutation.sh: $src/$m does not exist" >&2; exit 2; }
done
mutmut=$root/.venv/bin/mutmut
[[ -x $mutmut ]] || { echo "mutation.sh: run scripts/setup.sh first (mutmut is in the test extra)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mutation.XXXXXX")
tar -C "$src" --exclude=./.git --exclude=./.venv --exclude=./data --exclude=./mutants \
    --exclude=__pycache__ --exclude=.hypothesis --exclude=.pytest_cache -cf - . | tar -C "$work" -xf -
# Every package is copied into mutants/ (the tests must never import the live tree, which the
# editable install also puts on sys.path); only the named modules are mutated.
{
    echo "[mutmut]"
    printf 'source_paths =\n    assistant\n    index\n    ui\n'
    printf 'only_mutate =\n'
    printf '    %s\n' "${modules[@]}"
    printf 'also_copy =\n    prompts\n    seeds\n    docs\n    scripts\n'
    # Workers fork from a server that only collected the tests: forking the process that ran
    # them (Chroma's threads, torch) makes every mutant hang until its timeout.
    printf 'process_isolation = forkserver\n'
    printf 'pytest_add_cli_args =\n    -q\n    -p\n    no:cacheprovider\n'
    printf '    -m\n    not e2e and not browser and not server\n'
    if [[ -n $tests ]]; then
        printf 'pytest_add_cli_args_test_selection =\n'
        printf '    %s\n' $tests
    fi
} >"$work/setup.cfg"
# mutmut reads pyproject.toml's [tool.mutmut] first; the project keeps none, so setup.cfg counts.

cd "$work"
export HF_HUB_OFFLINE=1
echo "mutation.sh: mutating ${modules[*]} in $work (jobs $jobs, at most ${limit}s)"
status=0
timeout --foreground "$limit" "$mutmut" run --max-children "$jobs" >"$work/mutmut-run.log" 2>&1 || status=$?
if ((status == 124)); then
    echo "mutation.sh: stopped after ${limit}s; the counts cover the mutants checked so far"
elif ((status != 0)); then
    echo "mutation.sh: mutmut failed (exit $status); last lines of $work/mutmut-run.log:" >&2
    tail -20 "$work/mutmut-run.log" >&2
    exit "$status"
fi

"$mutmut" results --all=true >"$work/results.txt"
"$root/.venv/bin/python" - "$work" "$(date -u +%Y-%m-%d)" <<'PY'
import collections, re, subprocess, sys
from pathlib import Path

work, date = Path(sys.argv[1]), sys.argv[2]
counts = collections.defaultdict(collections.Counter)
survivors = []
for line in (work / "results.txt").read_text().splitlines():
    name, _, status = line.strip().rpartition(": ")
    if not name:
        continue
    # "assistant.metrics.x_exact_match__mutmut_3", "assistant.retrieval.xǁHybridRetrieverǁ…"
    found = re.match(r"(.+?)\.x[_ǁ]", name)
    counts[found.group(1) if found else name][status] += 1
    if status == "survived":
        survivors.append(name)
print(f"\nmutation score, {date} (killed / killed + survived; timeouts count as killed)")
for module in sorted(counts):
    c = counts[module]
    killed = c["killed"] + c["timeout"] + c["caught by type check"]
    judged = killed + c["survived"]
    other = {k: v for k, v in c.items() if k not in {"killed", "timeout", "survived",
                                                      "caught by type check"}}
    score = f"{killed / judged:.0%}" if judged else "–"
    print(f"  {module}: {killed} killed, {c['survived']} survived ({score})"
          + (f", {dict(other)}" if other else ""))
report = work / "survivors.txt"
with report.open("w") as out:
    for name in survivors:
        out.write(subprocess.run([str(Path(sys.executable).parent / "mutmut"), "show", name],
                                 capture_output=True, text=True).stdout + "\n")
print(f"\n{len(survivors)} surviving mutants, diffs in {report}")
PY
