#!/usr/bin/env python3
"""test_summary - the closing lines of ./run.sh test: what passed, what
failed, what was skipped and why, and whether CI may accept the skips.

    test_summary.py [--ci] [--complete] [--unavailable FILE]
                    NAME=JUNIT_XML ...

Each NAME=JUNIT_XML is one ctest run (ctest --output-junit), named for the
build it tested. A skipped entry is one ctest marked "notrun" because it
exited with its SKIP_RETURN_CODE (77); its reasons are the "SKIP: " lines
of its output (tests/e2e/runner.py and tests/cmocka_run.sh print them).
Any other "notrun" (a program missing, a dependency failed) is a failure.

Core paths are what CI must exercise. With --ci, a skip of a core path
fails the run unless the machine demonstrably cannot have what the path
needs, which means: scripts/install-deps.sh tried the tool's ordinary
install channel (Debian's packages, npm) and recorded in FILE that it
failed or that no package brings the tool. A skip for any other reason, a
tool that install-deps.sh never records (clang's libFuzzer is a required
package: a machine without it fails earlier), or, with --complete (the
whole suite was run, no ctest filter), a core path with no entry at all,
fails the run.

Exit status: 0 when every run passed and no skip broke the --ci rule, 1
otherwise. Standard library only.

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ElementTree

# The core paths: ctest entries (a regular expression) and the tools of
# which any one would let them run, by install-deps.sh's names. Browser
# tests and network-namespace tests join this list when they exist.
CORE_PATHS = (
    ("S3 end to end", r"^e2e_test_s3$", ("moto", "s3rver")),
    ("S3 signature checks", r"^e2e_test_s3_strict$", ("moto",)),
    ("fuzzing", r"^fuzz_", ("libfuzzer",)),
)
SKIP_MESSAGE = re.compile(r"^SKIP_(RETURN_CODE|REGULAR_EXPRESSION)")


class Run:
    """One ctest run's entries, read from its JUnit file."""

    def __init__(self, name, path):
        self.name = name
        self.passed, self.failed, self.skipped = [], [], {}
        root = ElementTree.parse(path).getroot()
        for case in root.iter("testcase"):
            entry = case.get("name")
            status = case.get("status")
            skipped = case.find("skipped")
            if status == "run":
                self.passed.append(entry)
            elif (status == "notrun" and skipped is not None and
                  SKIP_MESSAGE.match(skipped.get("message", ""))):
                self.skipped[entry] = _reasons(case)
            else:
                self.failed.append(entry)


def _reasons(case):
    output = case.findtext("system-out") or ""
    reasons = []
    for line in output.splitlines():
        if line.startswith("SKIP: "):
            reason = line[len("SKIP: "):].strip()
            if reason not in reasons:
                reasons.append(reason)
    return reasons or ["(it printed no SKIP: line saying why)"]


def _read_unavailable(path):
    """install-deps.sh's record: tool name -> why the machine lacks it."""
    unavailable = {}
    if not path:
        return unavailable
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                tool, _, why = line.rstrip("\n").partition("\t")
                if tool:
                    unavailable[tool] = why
    except FileNotFoundError:
        pass
    return unavailable


def _core_path(entry):
    for what, pattern, tools in CORE_PATHS:
        if re.search(pattern, entry):
            return what, tools
    return None


def main(argv):
    parser = argparse.ArgumentParser(prog="test_summary.py")
    parser.add_argument("--ci", action="store_true")
    parser.add_argument("--complete", action="store_true")
    parser.add_argument("--unavailable")
    parser.add_argument("runs", nargs="+", metavar="NAME=JUNIT_XML")
    args = parser.parse_args(argv)

    ok = True
    runs = []
    for spec in args.runs:
        name, _, path = spec.partition("=")
        try:
            runs.append(Run(name, path))
        except (OSError, ElementTree.ParseError) as error:
            print("summary: %s: no ctest results (%s)" % (name, error))
            ok = False
    unavailable = _read_unavailable(args.unavailable)

    problems = []
    entries = set()
    for run in runs:
        entries.update(run.passed, run.failed, run.skipped)
        for entry in run.failed:
            problems.append("%s: %s failed" % (run.name, entry))
        for entry, reasons in sorted(run.skipped.items()):
            print("skipped: %s: %s: %s" % (run.name, entry,
                                           "; ".join(reasons)))
            core = _core_path(entry)
            if not args.ci or not core:
                continue
            what, tools = core
            if all(tool in unavailable for tool in tools):
                print("  allowed under CI: %s needs %s, which this machine "
                      "cannot have: %s" % (
                          what, " or ".join(tools),
                          "; ".join("%s: %s" % (tool, unavailable[tool])
                                    for tool in tools)))
            else:
                problems.append(
                    "%s: %s skipped a core path (%s), which CI must run; "
                    "install-deps.sh did not find that %s cannot be "
                    "installed here: install it or fix the skip" % (
                        run.name, entry, what, " or ".join(
                            tool for tool in tools
                            if tool not in unavailable)))
    if args.ci and args.complete:
        for what, pattern, _ in CORE_PATHS:
            if not any(re.search(pattern, entry) for entry in entries):
                problems.append("no ctest entry runs the core path %s (%s)" %
                                (what, pattern))
    for problem in problems:
        print("summary: " + problem)
        ok = False

    for run in runs:
        print("%s: %d passed, %d failed, %d skipped" % (
            run.name, len(run.passed), len(run.failed), len(run.skipped)))
    print("tests: %d passed, %d failed, %d skipped" % (
        sum(len(run.passed) for run in runs),
        sum(len(run.failed) for run in runs),
        sum(len(run.skipped) for run in runs)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
