"""Mutation testing of the modules people rely on: do the tests catch a wrong answer?

For each module in mutation-modules.toml, mutmut (configured under [tool.mutmut] in
pyproject.toml) plants one small change at a time (`>=` for `>`, a constant changed, a
line removed …) in a scratch copy of the repository and runs the tests that reach the
changed function, on the embedded store. A mutant is killed when a test fails (or hangs
until its timeout), and survives when every test still passes. Mutants that no test
reaches count as survivors. Equivalent mutants (they cannot change behaviour) are listed
with the reason in mutation-equivalent.toml and left out of the score.

    python benchmarks/mutation.py                       # every module
    python benchmarks/mutation.py matching law_table    # some modules
    python benchmarks/mutation.py --retest matching     # only last run's survivors, tests as now
    python benchmarks/mutation.py law_in_force --functions _in_force valid_on   # part of a module
    python benchmarks/mutation.py --report-only         # rewrite the report from saved results
    python benchmarks/mutation.py gaps --sample 50 --seed 1   # 50 mutants drawn at random

Prints, per module, killed / (killed + survived) and the survivors, and writes
benchmarks/mutation-report.json and benchmarks/mutation-report.md (results of modules not
run this time are kept from the last run). Slow (minutes to an hour per module on two
cores), so not part of the CI gate; run it when one of the modules or its tests change.
The scratch copies stay in --workdir so that a second run re-tests only changed mutants.

A module too slow to run whole on a shared machine can be measured by a random sample
(--sample N --seed S): the module's mutants are put in an order drawn at random with the
seed, and the first N are run (a larger N with the same seed adds to the same sample). The
score of a random sample is an unbiased estimate of the whole module's score; the report
gives it with its 95 % Wilson interval, "stickprov N av M" and the seed, so that the same
sample can be drawn again. --retest and --report-only keep a module's sample; a run
without --sample measures the module whole again.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
MODULES_FILE = HERE / "mutation-modules.toml"
EQUIVALENT_FILE = HERE / "mutation-equivalent.toml"
REPORT_JSON = HERE / "mutation-report.json"
REPORT_MD = HERE / "mutation-report.md"
TARGET = 0.85

# mutmut's exit codes per mutant (mutmut/stats.py), grouped as this report counts them.
KILLED = {1: "dödad", 3: "dödad", 36: "tidsgräns", 24: "tidsgräns", -24: "tidsgräns", 152: "tidsgräns",
          255: "tidsgräns", 37: "dödad"}
SURVIVED = {0: "överlevde", 5: "inget test", 33: "inget test"}


def modules() -> dict[str, dict]:
    return tomllib.loads(MODULES_FILE.read_text(encoding="utf-8"))["modules"]


def equivalents() -> dict[str, dict]:
    if not EQUIVALENT_FILE.exists():
        return {}
    entries = tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8")).get("equivalent", [])
    return {e["mutant"]: e for e in entries}


def still_equivalent(entry: dict, diff: str) -> bool:
    """Whether an entry of mutation-equivalent.toml still names the mutant it was written for.
    mutmut numbers a function's mutants in order, so a changed function hands its numbers to
    other mutants (matching.py's entries came to name killable ones). `change` is the mutated
    line as `mutmut show` gives it (without the +); an entry without one is taken on trust."""
    added = {line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")}
    return "change" not in entry or entry["change"].strip() in added


def mutant_diff(copy: Path, mutant: str) -> str:
    """The mutant's changed lines (- original, + mutated), as `mutmut show` gives them."""
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = subprocess.run([str(mutmut), "show", mutant], cwd=copy, capture_output=True, text=True).stdout
    return "\n".join(line for line in shown.splitlines()[1:] if line.startswith(("+", "-"))
                     and not line.startswith(("+++", "---")))


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def scratch_copy(name: str, spec: dict, workdir: Path) -> Path:
    """The repository's files (tracked and new, as they are in the work tree) in workdir/name, with
    mutmut told which module to mutate and which tests to run."""
    copy = workdir / name
    listing = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listing, cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for raw in filter(None, files):
        source = ROOT / raw.decode()
        if not source.is_file() or source.is_symlink():
            continue
        target = copy / raw.decode()
        if not target.exists() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = dict(tomllib.loads(pyproject)["tool"]["mutmut"])
    settings["only_mutate"] = [spec["path"]]
    settings["pytest_add_cli_args_test_selection"] = [t for t in spec["tests"] if (ROOT / t).exists()]
    # Only the embedded store (tests/conftest.py): the servers would add minutes per mutant.
    settings["pytest_add_cli_args"] = [*settings.get("pytest_add_cli_args", []), "-p", "mutation_plugin",
                                       "--stores", "inbyggd", *(a for t in spec.get("deselect", []) for a in ("--deselect", t))]
    if spec.get("preload"):
        preload = copy / "mutation-preload.txt"
        # Also the package as the tests import it (1-3 s per mutant on a loaded machine): the
        # mutated functions choose their mutant when called, not when imported.
        preload.write_text("mutation_preload\nansvarsgraf.answering\nansvarsgraf.configured_store\nansvarsgraf.web.app\n",
                           encoding="utf-8")
        settings |= {"forkserver_warmup": "import", "preload_modules_file": str(preload)}
    # [tool.mutmut] is the last table in pyproject.toml; the copy gets it with the additions.
    head = pyproject[:pyproject.index("[tool.mutmut]")]
    table = "\n".join(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in settings.items())
    (copy / "pyproject.toml").write_text(f"{head}[tool.mutmut]\n{table}\n", encoding="utf-8")
    return copy


def function_mutants(name: str, spec: dict, workdir: Path, functions: list[str]) -> list[str]:
    """mutmut's names for the not yet run mutants of these functions (methods by their own
    name). Before the module's first run there are no names yet: then patterns, which also
    take in functions whose names begin with one of these."""
    dotted = spec["path"].removeprefix("src/").removesuffix(".py").replace("/", ".")
    meta = workdir / name / "mutants" / (spec["path"] + ".meta")
    if not meta.exists():
        return [pattern for fn in functions for pattern in (f"{dotted}.x_{fn}*", f"{dotted}.xǁ*ǁ{fn}*")]
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return [mutant for mutant, code in codes.items() if code is None
            and mutant.split("__mutmut_")[0].removeprefix(dotted + ".").split("ǁ")[-1].removeprefix("x_") in functions]


def all_mutants(name: str, spec: dict, workdir: Path) -> list[str]:
    """Every mutant of the module, by mutmut's name: generated in the scratch copy as
    `mutmut run` would (it then finds them made and keeps them), without running a test."""
    copy = scratch_copy(name, spec, workdir)
    generate = ("from pathlib import Path\n"
                "from mutmut.__main__ import create_mutants_for_file\n"
                f"path = Path({spec['path']!r})\n"
                "(Path('mutants') / path).parent.mkdir(parents=True, exist_ok=True)\n"
                "result = create_mutants_for_file(path, Path('mutants') / path)\n"
                "if result.error:\n    raise result.error\n")
    subprocess.run([sys.executable, "-c", generate], cwd=copy, check=True)
    meta = copy / "mutants" / (spec["path"] + ".meta")
    return sorted(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])


def draw_sample(name: str, spec: dict, workdir: Path, size: int, seed: int) -> dict:
    """The first `size` mutants of the module in an order drawn at random with `seed`."""
    everyone = all_mutants(name, spec, workdir)
    order = list(everyone)
    random.Random(seed).shuffle(order)
    return {"size": min(size, len(order)), "seed": seed, "of": len(everyone), "mutants": sorted(order[:size])}


def not_run(name: str, spec: dict, workdir: Path, mutants: list[str]) -> list[str]:
    meta = workdir / name / "mutants" / (spec["path"] + ".meta")
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"] if meta.exists() else {}
    return [m for m in mutants if codes.get(m) is None]


def run_module(name: str, spec: dict, workdir: Path, children: int, retest: bool = False,
               functions: list[str] | None = None, sample: dict | None = None) -> None:
    """Run mutmut on the module; retest=True: only the survivors of the last run, with the
    tests as they are now (after tests were added to kill them); functions: only the not yet
    run mutants of these functions (a module too slow to run whole on a shared machine);
    sample: only the not yet run mutants of this random sample."""
    again = [s["mutant"] for s in (collect(name, spec, workdir, sample) or {}).get("survivors", [])] if retest else []
    if retest and not again:
        print(f"{name}: inga överlevande att pröva om")
        return
    if functions:
        again += function_mutants(name, spec, workdir, functions)
        if not again:
            print(f"{name}: inga ej körda mutanter i {', '.join(functions)}")
            return
    if sample and not retest:
        again += not_run(name, spec, workdir, sample["mutants"])
        if not again:
            print(f"{name}: stickprovets {sample['size']} mutanter är redan körda")
            return
    copy = scratch_copy(name, spec, workdir)
    (copy / "mutation-commit.txt").write_text(head_commit() + "\n", encoding="utf-8")
    if retest:
        # mutmut records which tests reach a function only for tests it has not seen: a test
        # extended to kill a survivor would still not be run against it. Record them anew.
        (copy / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # mutation_preload.py and mutation_plugin.py from here; the package itself comes from
    # mutants/src (mutmut).
    env["PYTHONPATH"] = str(copy / "benchmarks")
    mutmut = Path(sys.executable).with_name("mutmut")
    print(f"\n== {name}: mutmut i {copy}", flush=True)
    subprocess.run([str(mutmut), "run", "--max-children", str(children), *again], cwd=copy, env=env, check=False,
                   stdout=subprocess.DEVNULL if not os.environ.get("MUTATION_VERBOSE") else None)


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval for the share killed (stays inside 0-1 and holds for small
    samples and scores near 100 %, where the normal approximation does not)."""
    if not n:
        return None
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def collect(name: str, spec: dict, workdir: Path, sample: dict | None = None) -> dict | None:
    """The module's verdicts; with a sample, only the sampled mutants' (the score is then an
    estimate of the whole module's, with its interval)."""
    copy = workdir / name
    meta = copy / "mutants" / (spec["path"] + ".meta")
    if not meta.exists():
        return None
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    if sample:
        codes = {m: codes.get(m) for m in sample["mutants"]}
    skip = equivalents()
    counts = {"dödad": 0, "tidsgräns": 0, "överlevde": 0, "inget test": 0, "ej körd": 0, "likvärdig": 0}
    survivors = []
    for mutant, code in sorted(codes.items()):
        if mutant in skip:
            if still_equivalent(skip[mutant], mutant_diff(copy, mutant)):
                counts["likvärdig"] += 1
                continue
            print(f"varning: {mutant} är inte längre den mutant som {EQUIVALENT_FILE.name} beskriver "
                  f"(väntad ändring: {skip[mutant]['change']}); den räknas som vilken mutant som helst")
        status = KILLED.get(code) or SURVIVED.get(code) or ("ej körd" if code is None else "överlevde")
        counts[status] += 1
        if status in ("överlevde", "inget test"):
            survivors.append({"mutant": mutant, "status": status, "diff": mutant_diff(copy, mutant)})
    killed = counts["dödad"] + counts["tidsgräns"]
    survived = counts["överlevde"] + counts["inget test"]
    # The commit whose code and tests the copy last got (a run takes long; HEAD may have moved).
    marker = copy / "mutation-commit.txt"
    commit = marker.read_text(encoding="utf-8").strip() if marker.exists() else head_commit()
    result = {"module": spec["path"], "tests": spec["tests"], "counts": counts,
              "score": round(killed / (killed + survived), 4) if killed + survived else None,
              "survivors": survivors, "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "commit": commit}
    if sample:
        result |= {"sample": sample, "interval": wilson(killed, killed + survived)}
    return result


def score_text(r: dict) -> str:
    if r["score"] is None:
        return "–"
    if not r.get("sample"):
        return f"{r['score']:.1%}"
    low, high = r["interval"]
    return f"{r['score']:.1%} (95 %: {low:.0%}–{high:.0%})"


def scope_text(r: dict) -> str:
    s = r.get("sample")
    if s:
        return f"stickprov {s['size']} av {s['of']} (frö {s['seed']})"
    whole = sum(r["counts"].values())
    return f"funktionsvis, av {whole}" if r["counts"]["ej körd"] else f"hela modulen ({whole})"


def write_report(results: dict) -> None:
    REPORT_JSON.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["# Mutationstestning", "",
             "Skapad av `python benchmarks/mutation.py` (se README, avsnittet Mutationstestning). Poäng =",
             "dödade / (dödade + överlevande); mutanter som inget test når räknas som överlevande,",
             "likvärdiga mutanter (benchmarks/mutation-equivalent.toml) räknas inte. Mål: "
             f"{TARGET:.0%} per modul. Mutanter som ännu inte körts (ej körda) ingår inte i poängen; en",
             "modul med ej körda mutanter är delvis mätt. Moduler som ej mätts ännu körs med",
             "`python benchmarks/mutation.py <modul>`.", "",
             "Stickprov: för en modul som är för långsam att köra hel på en delad maskin körs N mutanter",
             "dragna slumpmässigt (`--sample N --seed S`) ur modulens M. Ett slumpmässigt stickprovs poäng",
             "är en väntevärdesriktig skattning av hela modulens poäng; den anges med sitt 95 %-intervall",
             "(Wilson) och fröet, så att samma stickprov kan dras igen. Räkningarna i tabellen gäller då",
             "bara stickprovets mutanter.", "",
             "| modul | poäng | urval | dödade | tidsgräns | överlevde | inget test | likvärdiga | ej körda | mätt | commit |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in modules():
        r = results.get(name)
        if not r:
            lines.append(f"| {name} | ej mätt ännu | | | | | | | | | |")
            continue
        c = r["counts"]
        lines.append(f"| {name} | {score_text(r)} | {scope_text(r)} | {c['dödad']} | {c['tidsgräns']} | {c['överlevde']} "
                     f"| {c['inget test']} | {c['likvärdig']} | {c['ej körd']} | {r['measured']} | {r['commit']} |")
    partly = [f"{n} ({r['counts']['ej körd']} av {sum(r['counts'].values())} mutanter ej körda)"
              for n, r in results.items() if r["counts"]["ej körd"] and not r.get("sample")]
    partly += [f"{n} (stickprov {r['sample']['size']} av {r['sample']['of']}"
               + (f", {r['counts']['ej körd']} ej körda" if r["counts"]["ej körd"] else "") + ")"
               for n, r in results.items() if r.get("sample")]
    missing = [n for n in modules() if n not in results]
    lines += ["", "Kvar att mäta: " + "; ".join(
        [*(["delvis mätt: " + ", ".join(partly)] if partly else []),
         *(["ej mätt: " + ", ".join(missing)] if missing else [])] or ["inget"]) + "."]
    for name, r in results.items():
        if not r or not r["survivors"]:
            continue
        lines += ["", f"## Överlevande i {r['module']}", "",
                  f"Tester: {', '.join(r['tests'])}", ""]
        if r.get("sample"):
            lines += [f"Ur ett {scope_text(r)}.", ""]
        for s in r["survivors"]:
            lines += [f"- `{s['mutant']}` ({s['status']})", "", "  ```diff",
                      *("  " + d for d in s["diff"].splitlines()), "  ```"]
    REPORT_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="moduler ur mutation-modules.toml (standard: alla)")
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "ansvarsgraf-mutation")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--report-only", action="store_true", help="skriv rapporten från sparade resultat")
    parser.add_argument("--retest", action="store_true", help="pröva bara om förra körningens överlevande")
    parser.add_argument("--functions", nargs="+", metavar="FUNKTION",
                        help="bara de ej körda mutanterna i dessa funktioner (metoder med sitt eget namn)")
    parser.add_argument("--sample", type=int, metavar="N", help="bara N mutanter dragna slumpmässigt ur modulens")
    parser.add_argument("--seed", type=int, default=1, help="fröet för --sample (anges i rapporten)")
    args = parser.parse_args(argv)
    if args.sample is not None and (args.sample < 1 or args.functions or args.retest or args.report_only):
        parser.error("--sample tar ett antal ≥ 1 och går inte att kombinera med --functions, --retest eller --report-only")
    known = modules()
    chosen = args.modules or list(known)
    unknown = [m for m in chosen if m not in known]
    if unknown:
        parser.error(f"okänd modul: {', '.join(unknown)}; välj bland {', '.join(known)}")
    results = json.loads(REPORT_JSON.read_text(encoding="utf-8")) if REPORT_JSON.exists() else {}
    for name in chosen:
        # --retest and --report-only keep the module's sample; any other run draws a new one
        # (--sample) or measures the module whole.
        sample = (results.get(name) or {}).get("sample") if args.retest or args.report_only else None
        if args.sample is not None:
            sample = draw_sample(name, known[name], args.workdir, args.sample, args.seed)
        if not args.report_only:
            run_module(name, known[name], args.workdir, args.max_children, args.retest, args.functions, sample)
        result = collect(name, known[name], args.workdir, sample)
        if result is None:
            print(f"{name}: inga resultat i {args.workdir / name}")
            continue
        results[name] = result
        print(f"{name}: {score_text(result)}, {scope_text(result)} ({result['counts']})")
        for s in result["survivors"]:
            print(f"  överlever: {s['mutant']} ({s['status']})")
            for line in s["diff"].splitlines():
                print(f"      {line}")
    write_report({name: results[name] for name in known if name in results})
    print(f"\nRapport: {REPORT_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
