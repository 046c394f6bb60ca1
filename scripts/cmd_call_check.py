#!/usr/bin/env python3
"""Fails when a GitHub Actions `shell: cmd` step runs a batch file without `call`.

In cmd, running a batch file (mvn is mvn.cmd, and iocp.cmd, gradlew.bat, npm.cmd, ...) from inside another batch
file transfers control to it for good: the runner's script never gets back, so every line after it is silently
skipped and the step's result is whatever that batch file returned. `call mvn ...` runs it and comes back. A
`run:` of a cmd step is such a script (the runner writes it to a .cmd file), so each of its batch-file commands
must be called.

usage: cmd_call_check.py WORKFLOW.yml...      exit 1 if any step does it (each one is named), else 0
       cmd_call_check.py --self-test          the negative control: a sample workflow (scripts/testdata/
                                              cmd-call-bad.yml) that must be rejected, and its fixed twin
                                              (cmd-call-good.yml) that must pass
"""
import os
import re
import sys

import yaml

# Commands that are batch files on a Windows runner, besides anything named *.cmd / *.bat.
BATCH_COMMANDS = {"mvn", "mvnw", "gradle", "gradlew", "npm", "npx", "yarn", "pnpm", "ant", "sbt", "code", "az"}
# A command position: line start, or after &, &&, ||, |, (, or `if ... (`.
SPLIT = re.compile(r"&&|\|\||[&|(]")


def batch_commands_without_call(script):
    """Yields (line number, command text) for each batch-file command in a cmd script not run through `call`."""
    for number, line in enumerate(script.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.lower().startswith(("rem ", "::")) or stripped.lower() == "rem":
            continue
        for part in SPLIT.split(stripped):
            words = part.strip().lstrip("@").split()
            if not words:
                continue
            if words[0].lower() == "call":
                continue
            if words[0].lower() in ("if", "for", "else", ")") and len(words) > 1:
                continue  # the command inside comes after the '(' and is checked as its own part
            command = words[0].strip('"')
            name = os.path.basename(command.replace("\\", "/")).lower()
            if name.endswith((".cmd", ".bat")) or name in BATCH_COMMANDS:
                yield number, part.strip()


def check(path):
    with open(path, encoding="utf-8") as f:
        workflow = yaml.safe_load(f) or {}
    problems = []
    default_shell = ((workflow.get("defaults") or {}).get("run") or {}).get("shell")
    for job_id, job in (workflow.get("jobs") or {}).items():
        job_shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", default_shell)
        for index, step in enumerate(job.get("steps") or [], 1):
            if "run" not in step:
                continue
            shell = str(step.get("shell", job_shell) or "")
            if shell.split()[0:1] != ["cmd"]:
                continue
            for number, text in batch_commands_without_call(str(step["run"])):
                problems.append("%s: job %s, step %d (%s), line %d: '%s' runs a batch file without `call`: the "
                                "lines after it never run" % (path, job_id, index, step.get("name", "unnamed"),
                                                              number, text))
    return problems


def self_test():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata")
    bad = check(os.path.join(here, "cmd-call-bad.yml"))
    good = check(os.path.join(here, "cmd-call-good.yml"))
    expected_bad = 6
    ok = len(bad) == expected_bad and not good
    print("cmd_call_check self-test: the bad sample gives %d findings (expected %d), the good one %d (expected 0)%s"
          % (len(bad), expected_bad, len(good), "" if ok else ": FAILED"))
    for p in bad + good:
        print("  " + p)
    return 0 if ok else 1


def main(argv):
    if argv == ["--self-test"]:
        return self_test()
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    problems = [p for path in argv for p in check(path)]
    for p in problems:
        print("cmd_call_check: " + p, file=sys.stderr)
    if not problems:
        print("cmd_call_check: %d workflow(s): every batch file in a cmd step is run with call" % len(argv))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
