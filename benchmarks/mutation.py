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

Prints, per module, killed / (killed + survived) and the survivors, and writes
benchmarks/mutation-report.json and benchmarks/mutation-report.md (results of modules not
run this time are kept from the last run). Slow (minutes to an hour per module on two
cores), so not part of the CI gate; run it when one of the modules or its tests change.
The scratch copies stay in --workdir so that a second run re-tests only changed mutants.
"""

import argparse
import datetime as dt
import json
import os
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


def equivalents() -> dict[str, str]:
    if not EQUIVALENT_FILE.exists():
        return {}
    entries = tomllib.loads(EQUIVALENT_FILE.read_text(encoding="utf-8")).get("equivalent", [])
    return {e["mutant"]: e["reason"] for e in entries}


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
                                       "--stores", "inbyggd"]
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


def run_module(name: str, spec: dict, workdir: Path, children: int, retest: bool = False,
               functions: list[str] | None = None) -> None:
    """Run mutmut on the module; retest=True: only the survivors of the last run, with the
    tests as they are now (after tests were added to kill them); functions: only the not yet
    run mutants of these functions (a module too slow to run whole on a shared machine)."""
    again = [s["mutant"] for s in (collect(name, spec, workdir) or {}).get("survivors", [])] if retest else []
    if retest and not again:
        print(f"{name}: inga överlevande att pröva om")
        return
    if functions:
        again += function_mutants(name, spec, workdir, functions)
        if not again:
            print(f"{name}: inga ej körda mutanter i {', '.join(functions)}")
            return
    copy = scratch_copy(name, spec, workdir)
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


def collect(name: str, spec: dict, workdir: Path) -> dict | None:
    copy = workdir / name
    meta = copy / "mutants" / (spec["path"] + ".meta")
    if not meta.exists():
        return None
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    skip = equivalents()
    counts = {"dödad": 0, "tidsgräns": 0, "överlevde": 0, "inget test": 0, "ej körd": 0, "likvärdig": 0}
    survivors = []
    mutmut = Path(sys.executable).with_name("mutmut")
    for mutant, code in sorted(codes.items()):
        if mutant in skip:
            counts["likvärdig"] += 1
            continue
        status = KILLED.get(code) or SURVIVED.get(code) or ("ej körd" if code is None else "överlevde")
        counts[status] += 1
        if status in ("överlevde", "inget test"):
            diff = subprocess.run([str(mutmut), "show", mutant], cwd=copy, capture_output=True, text=True).stdout
            survivors.append({"mutant": mutant, "status": status,
                              "diff": "\n".join(line for line in diff.splitlines()[1:] if line.startswith(("+", "-"))
                                                and not line.startswith(("+++", "---")))})
    killed = counts["dödad"] + counts["tidsgräns"]
    survived = counts["överlevde"] + counts["inget test"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"module": spec["path"], "tests": spec["tests"], "counts": counts,
            "score": round(killed / (killed + survived), 4) if killed + survived else None,
            "survivors": survivors, "measured": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit}


def write_report(results: dict) -> None:
    REPORT_JSON.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["# Mutationstestning", "",
             "Skapad av `python benchmarks/mutation.py` (se README, avsnittet Mutationstestning). Poäng =",
             "dödade / (dödade + överlevande); mutanter som inget test når räknas som överlevande,",
             "likvärdiga mutanter (benchmarks/mutation-equivalent.toml) räknas inte. Mål: "
             f"{TARGET:.0%} per modul. Mutanter som ännu inte körts (ej körda) ingår inte i poängen; en",
             "modul med ej körda mutanter är delvis mätt. Moduler som ej mätts ännu körs med",
             "`python benchmarks/mutation.py <modul>`.", "",
             "| modul | poäng | dödade | tidsgräns | överlevde | inget test | likvärdiga | ej körda | mätt | commit |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name in modules():
        r = results.get(name)
        if not r:
            lines.append(f"| {name} | ej mätt ännu | | | | | | | | |")
            continue
        c = r["counts"]
        score = f"{r['score']:.1%}" if r["score"] is not None else "–"
        lines.append(f"| {name} | {score} | {c['dödad']} | {c['tidsgräns']} | {c['överlevde']} | {c['inget test']} "
                     f"| {c['likvärdig']} | {c['ej körd']} | {r['measured']} | {r['commit']} |")
    partly = [f"{n} ({r['counts']['ej körd']} av {sum(r['counts'].values())} mutanter ej körda)"
              for n, r in results.items() if r["counts"]["ej körd"]]
    missing = [n for n in modules() if n not in results]
    lines += ["", "Kvar att mäta: " + "; ".join(
        [*(["delvis mätt: " + ", ".join(partly)] if partly else []),
         *(["ej mätt: " + ", ".join(missing)] if missing else [])] or ["inget"]) + "."]
    for name, r in results.items():
        if not r or not r["survivors"]:
            continue
        lines += ["", f"## Överlevande i {r['module']}", "",
                  f"Tester: {', '.join(r['tests'])}", ""]
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
    args = parser.parse_args(argv)
    known = modules()
    chosen = args.modules or list(known)
    unknown = [m for m in chosen if m not in known]
    if unknown:
        parser.error(f"okänd modul: {', '.join(unknown)}; välj bland {', '.join(known)}")
    results = json.loads(REPORT_JSON.read_text(encoding="utf-8")) if REPORT_JSON.exists() else {}
    for name in chosen:
        if not args.report_only:
            run_module(name, known[name], args.workdir, args.max_children, args.retest, args.functions)
        result = collect(name, known[name], args.workdir)
        if result is None:
            print(f"{name}: inga resultat i {args.workdir / name}")
            continue
        results[name] = result
        score = f"{result['score']:.1%}" if result["score"] is not None else "–"
        print(f"{name}: {score} ({result['counts']})")
        for s in result["survivors"]:
            print(f"  överlever: {s['mutant']} ({s['status']})")
            for line in s["diff"].splitlines():
                print(f"      {line}")
    write_report({name: results[name] for name in known if name in results})
    print(f"\nRapport: {REPORT_MD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
