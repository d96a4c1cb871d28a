"""runner - run an end-to-end test file, or one group of its tests, as one
ctest entry whose outcome says whether everything in it ran.

unittest exits 0 when tests were skipped, so a file whose tests all skipped
(no S3 server, no tmpfs) would read as Passed. This runner instead exits
77, which tests/CMakeLists.txt makes every e2e entry's SKIP_RETURN_CODE,
when a test was skipped and none failed, after a line "SKIP: <reason> (<n>
tests)" per reason; run.sh's test summary lists those lines. A run that
ran no test at all fails: it means a wrong selection, not a pass.

Tests that need something a machine may lack are put in a named group with
@group("name") on their class or method; tests/CMakeLists.txt registers
each group as an entry of its own (e2e_<file>_<group>) and the rest of the
file as e2e_<file>, so that a skipped group neither hides the others'
passes nor is hidden by them. Command line:

    runner.py test_x.py [NAME ...]          every test (or those named)
    runner.py test_x.py --group GROUP       only that group's tests
    runner.py test_x.py --except GROUP ...  every test outside those groups

A test file run by itself (python3 test_x.py) runs every test with
unittest's own main, as before.

Standard library only: the tests that need pyzmq re-run themselves, this
command line included, under the system Python (peers.require_zmq).

SPDX-License-Identifier: MPL-2.0
"""
import argparse
import os
import sys
import unittest

SKIP = 77  # ctest's SKIP_RETURN_CODE for every e2e entry


def group(name):
    """Decorator: the class or test method belongs to group name."""
    def mark(target):
        target.ctest_group = name
        return target
    return mark


def _group_of(test):
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    return (getattr(method, "ctest_group", None) or
            getattr(type(test), "ctest_group", None))


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def _groups_in(tests):
    return {name for name in map(_group_of, tests) if name}


def _load(path):
    """The test file at path, imported as a module named for it."""
    import importlib.util
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main(argv):
    """Run the file's tests as argv selects; exit 0 when all ran and
    passed, 77 when some were skipped and none failed, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="runner.py")
    parser.add_argument("file")
    parser.add_argument("--group")
    parser.add_argument("--except", dest="excepted", action="append",
                        default=[])
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    module = _load(args.file)
    loader = unittest.TestLoader()
    if args.names:
        tests = list(_flatten(loader.loadTestsFromNames(args.names, module)))
    else:
        tests = list(_flatten(loader.loadTestsFromModule(module)))
    known = _groups_in(tests)
    for name in ([args.group] if args.group else []) + args.excepted:
        if name not in known:
            print("runner: no test of %s is in group %r (its groups: %s)" %
                  (args.file, name, ", ".join(sorted(known)) or "none"))
            return 1
    if args.group:
        tests = [test for test in tests if _group_of(test) == args.group]
    tests = [test for test in tests if _group_of(test) not in args.excepted]

    result = unittest.TextTestRunner(verbosity=2).run(
        unittest.TestSuite(tests))
    sys.stderr.flush()
    if result.testsRun == 0:
        print("runner: this selection of %s holds no test" % args.file)
        return 1
    if not result.wasSuccessful():
        return 1
    if result.skipped:
        # unittest's own lines above name each skipped test; one line per
        # reason keeps the summary short.
        counts = {}
        for _, reason in result.skipped:
            reason = " ".join(reason.split())  # one line, for the summary
            counts[reason] = counts.get(reason, 0) + 1
        for reason, count in counts.items():
            print("SKIP: %s (%d test%s)" % (reason, count,
                                           "" if count == 1 else "s"))
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
