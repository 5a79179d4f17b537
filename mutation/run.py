"""Mutation testing of the core of ssdlib with mutmut (``make mutation``).

The modules, the tests and the marker expression are read from ``mutation/config.toml``.
The package and the selected tests are copied to a work folder (default ``mutation/work/``, not
in git), where one mutmut run mutates the modules with a generated ``[tool.mutmut]`` section
(the tests are run once to map them to functions, then each mutant against the tests that call
its function). Then the score of each module is printed,
``killed / (mutants - equivalent)`` (a timeout counts as killed), with every surviving mutant
and its diff.

Equivalent mutants (that change nothing observable) are listed in ``mutation/equivalent.txt``,
one a line: ``<mutant name> <fingerprint>  <one-line reason>``. The fingerprint is printed next
to each survivor; an entry whose fingerprint no longer matches its mutant (the function was
edited) is reported as stale and not counted.

Usage: python mutation/run.py [--modules NAME ...] [--jobs N] [--work DIR] [--report-only]
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "mutation"
WORK = HERE / "work"
PACKAGE = "ssdlib"
MUTMUT = Path(sys.executable).parent / "mutmut"

KILLED = {1, 3, 24, -24, 36, 152, 255}  # mutmut: failed test, internal error, timeouts
STATUS = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked",
          -9: "segfault", -11: "segfault"}


def module_files(name):
    """Source files of module ``name``: ssdlib/<name>.py or ssdlib/<name>/**/*.py."""
    single = Path(PACKAGE) / f"{name}.py"
    if (ROOT / single).is_file():
        return [single]
    folder = ROOT / PACKAGE / name
    files = sorted(p.relative_to(ROOT) for p in folder.rglob("*.py")) if folder.is_dir() else []
    if not files:
        sys.exit(f"mutation: module `{name}` is neither {single} nor a package folder "
                 f"{PACKAGE}/{name}/; fix `modules` in mutation/config.toml.")
    return files


def toml_list(items):
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def select_tests(cfg):
    tests = sorted({p for pattern in cfg["tests"] for p in glob.glob(pattern, root_dir=ROOT)})
    if not tests:
        sys.exit("mutation: no test file matches `tests` in mutation/config.toml.")
    return tests


def copy_tests(work, tests):
    for t in tests:
        (work / t).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / t, work / t)
    for extra in glob.glob("tests/conftest.py", root_dir=ROOT):
        shutil.copy2(ROOT / extra, work / extra)


def prepare(cfg, work, files):
    """Fresh copy of the package and the selected tests in ``work``, with a [tool.mutmut]
    section that mutates ``files``; returns the tests."""
    if work.exists():
        if any(work.iterdir()) and not (work / "pyproject.toml").exists():
            sys.exit(f"mutation: {work} is not a work folder of this script; not emptying it.")
        shutil.rmtree(work)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / PACKAGE, work / PACKAGE, ignore=ignore)
    tests = select_tests(cfg)
    copy_tests(work, tests)
    write_config(cfg, work, files, tests)
    return tests


def write_config(cfg, work, files, tests):
    """pyproject.toml of ``work``: the project's, with a generated [tool.mutmut] section."""
    text = (ROOT / "pyproject.toml").read_text()
    if "[tool.mutmut]" in text:
        sys.exit("mutation: pyproject.toml has a [tool.mutmut] section; the configuration "
                 "lives in mutation/config.toml.")
    text += (
        "\n[tool.mutmut]\n"
        f'source_paths = ["{PACKAGE}"]\n'
        f"only_mutate = {toml_list(files)}\n"
        f"pytest_add_cli_args = {toml_list(['-m', cfg['markers'], '-p', 'no:cacheprovider'])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        f"do_not_mutate_patterns = {toml_list(cfg.get('do_not_mutate_patterns', []))}\n"
        f"timeout_multiplier = {float(cfg.get('timeout_multiplier', 15.0))}\n"
        "use_git_change_detection = false\n"
    )
    (work / "pyproject.toml").write_text(text)


def run_mutmut(work, jobs, names=()):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cmd = [str(MUTMUT), "run", "--max-children", str(jobs), *names]
    with open(work / "mutmut.log", "w") as log:
        rc = subprocess.call(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    if rc != 0:
        tail = (work / "mutmut.log").read_text()[-3000:]
        sys.exit(f"mutation: mutmut failed in {work} (exit {rc}):\n{tail}")


def results(work, f):
    """{mutant name: exit code} of source file ``f`` mutated in ``work``."""
    meta = work / "mutants" / f"{f}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def diffs(work, names, path):
    """{mutant name: the changed lines of its diff} (read by mutmut from ``work``)."""
    if not names:
        return {}
    cwd = os.getcwd()
    os.chdir(work)
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        out = {}
        for name in names:
            lines = get_diff_for_mutant(name, path=str(path)).splitlines()
            out[name] = [ln for ln in lines if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
        return out
    finally:
        os.chdir(cwd)


def fingerprint(changed):
    text = "\n".join(" ".join(ln.split()) for ln in changed)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def read_equivalent():
    """{mutant name: (fingerprint, reason)} from mutation/equivalent.txt."""
    out = {}
    path = HERE / "equivalent.txt"
    for n, line in enumerate(path.read_text().splitlines() if path.exists() else [], 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            sys.exit(f"mutation/equivalent.txt:{n}: expected `<mutant> <fingerprint> <reason>`.")
        out[parts[0]] = (parts[1], parts[2])
    return out


def main():
    cfg = tomllib.loads((HERE / "config.toml").read_text())
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", nargs="+", default=cfg["modules"],
                    help="modules to mutate (default: `modules` of mutation/config.toml)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--work", type=Path, default=WORK,
                    help="work folder, emptied first (default mutation/work)")
    ap.add_argument("--report-only", action="store_true",
                    help="report on the last run in the work folder without running mutmut")
    ap.add_argument("--sample", metavar="DIGITS",
                    help="run only the mutants whose number ends in one of DIGITS (e.g. 0: "
                         "about a tenth of them), for a quick estimate of the scores")
    ap.add_argument("--recheck", action="store_true",
                    help="copy the current tests into the work folder and run the mutants that "
                         "survived the last run again (after adding tests to existing files)")
    args = ap.parse_args()
    files = {m: module_files(m) for m in args.modules}
    work = args.work.resolve()
    seconds = None
    if args.recheck:
        t0 = time.monotonic()
        # the generated configuration is left as it is: mutmut forgets its results when it
        # changes, so new test files need a full run
        copy_tests(work, select_tests(cfg))
        alive = sorted(k for m in args.modules for f in files[m]
                       for k, code in results(work, f).items()
                       if code is not None and code not in KILLED)
        print(f"mutation: {len(alive)} mutants to check again", flush=True)
        if alive:
            run_mutmut(work, args.jobs, alive)
        seconds = time.monotonic() - t0
    elif not args.report_only:
        t0 = time.monotonic()
        tests = prepare(cfg, work, [f for m in args.modules for f in files[m]])
        print(f"mutation: modules {' '.join(args.modules)}; tests {' '.join(tests)}", flush=True)
        run_mutmut(work, args.jobs, [f"{PACKAGE}.*[{args.sample}]"] if args.sample else ())
        seconds = time.monotonic() - t0
    equivalent = read_equivalent()
    known, killed_listed = set(), []
    rows, survivors, stale = [], [], []
    for m in args.modules:
        codes = {f: results(work, f) for f in files[m]}
        known.update(k for c in codes.values() for k in c)
        killed_listed += [k for c in codes.values() for k, code in c.items()
                          if code in KILLED and k in equivalent]
        n_unchecked = sum(code is None for c in codes.values() for code in c.values())
        codes = {f: {k: code for k, code in c.items() if code is not None}
                 for f, c in codes.items()}
        n_all = sum(len(c) for c in codes.values())
        if n_all + n_unchecked == 0:
            sys.exit(f"mutation: no results for `{m}`; run without --report-only first.")
        killed = sum(code in KILLED for c in codes.values() for code in c.values())
        n_eq = 0
        for f, c in codes.items():
            alive = sorted(k for k, code in c.items() if code not in KILLED)
            for name, changed in diffs(work, alive, f).items():
                fp = fingerprint(changed)
                status = STATUS.get(c[name], "suspicious")
                if name in equivalent:
                    if equivalent[name][0] == fp:
                        n_eq += 1
                        continue
                    stale.append(name)
                survivors.append((name, fp, status, changed))
        tested = n_all - n_eq
        rows.append((m, n_all, killed, n_eq, tested - killed, killed / tested if tested else 1.0,
                     n_unchecked))
    for name in sorted(set(equivalent) - known):
        if any(name.startswith(f"{PACKAGE}.{m}.") for m in args.modules):
            stale.append(name)  # the mutant is gone
    print()
    print(f"{'module':<10} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'alive':>6} {'score':>7}"
          f" {'not run':>8}")
    for m, n_all, killed, n_eq, alive, score, n_unchecked in rows:
        print(f"{m:<10} {n_all:>8} {killed:>7} {n_eq:>7} {alive:>6} {100 * score:>6.1f}%"
              f" {n_unchecked:>8}")
    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 4)]
    print(f"{'total':<10} {tot[0]:>8} {tot[1]:>7} {tot[2]:>7} {tot[3]:>6} "
          f"{100 * tot[1] / max(tot[0] - tot[2], 1):>6.1f}%")
    if survivors:
        print(f"\nSurviving mutants ({len(survivors)}; `cd {os.path.relpath(work)} && "
              "mutmut show NAME`):")
        for name, fp, status, changed in survivors:
            print(f"  {name} {fp} [{status}]")
            for ln in changed:
                print(f"      {ln.strip()[:110]}")
    if stale:
        print("\nStale entries of mutation/equivalent.txt (mutant gone or changed): "
              + ", ".join(sorted(set(stale))))
    if killed_listed:
        print("\nListed as equivalent but killed (not equivalent; remove them from "
              "mutation/equivalent.txt): " + ", ".join(sorted(killed_listed)))
    if seconds is not None:
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"\nWall time {seconds / 60:.1f} min "
              f"(CPU {(cpu.ru_utime + cpu.ru_stime) / 60:.1f} min on {args.jobs} workers).")
    low = [r[0] for r in rows if r[5] < cfg["min_score"]]
    if low:
        sys.exit(f"mutation: score below {100 * cfg['min_score']:.0f}% for {', '.join(low)}.")


if __name__ == "__main__":
    main()
