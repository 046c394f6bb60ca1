#!/usr/bin/env python3
"""Adds up JUnit XML reports (TEST-*.xml, as Surefire and the JUnit console launcher write them).

usage: junit-summary.py [--require-os PREFIX] [--require-tests] PATH...
PATH is a report file or a folder searched recursively for TEST-*.xml.
Prints one line: "N passed, N failed, N skipped" (failed = failures + errors).
Exit 1 if --require-os is given and a report does not record an os.name starting with PREFIX (or there is no
report), or if --require-tests is given and no test ran (passed + failed == 0). Exit 0 otherwise: the caller
decides what failed tests mean.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET


def main(argv):
    require_os = None
    require_tests = False
    paths = []
    it = iter(argv)
    for a in it:
        if a == "--require-os":
            require_os = next(it)
        elif a == "--require-tests":
            require_tests = True
        else:
            paths.append(a)
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "**", "TEST-*.xml"), recursive=True))
        elif os.path.isfile(p):
            files.append(p)
    tests = failed = skipped = 0
    problems = []
    for f in files:
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            problems.append("%s: unreadable (%s)" % (f, e))
            failed += 1
            continue
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for s in suites:
            tests += int(s.get("tests", 0))
            failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
            skipped += int(s.get("skipped", 0))
            if require_os is not None:
                os_names = [p.get("value", "") for p in s.iter("property") if p.get("name") == "os.name"]
                if not os_names:
                    problems.append("%s: no os.name recorded" % f)
                elif not all(n.startswith(require_os) for n in os_names):
                    problems.append("%s: ran on os.name=%s, not %s" % (f, ",".join(os_names), require_os))
    passed = tests - failed - skipped
    line = "%d passed, %d failed, %d skipped" % (passed, failed, skipped)
    if require_os is not None and not files:
        problems.append("no TEST-*.xml report under %s" % " ".join(paths))
    if require_tests and passed + failed == 0:
        problems.append("no test ran")
    for p in problems:
        print("junit-summary: " + p, file=sys.stderr)
    print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
