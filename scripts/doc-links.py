#!/usr/bin/env python3
"""Checks that every relative link in the repository's Markdown files resolves.

Usage: scripts/doc-links.py [FILE.md ...]   (default: every *.md tracked by git)

A link [text](path#anchor) resolves when path names an existing file or folder, relative to the linking file, and
the anchor (if any) is a heading of the target Markdown file, slugged as GitHub slugs it: lower case, punctuation
dropped, spaces to hyphens, -1, -2 ... for repeated headings. Links to other sites (http:, https:, mailto:) are not
checked. Fenced code blocks and code spans are skipped. Prints one line per broken link and exits 1 if any.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r'(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)')
FENCE = re.compile(r'^\s*(```|~~~)')
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')


def prose_lines(text):
    """The lines outside fenced code blocks, with code spans blanked, numbered from 1."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, re.sub(r'`[^`]*`', lambda m: ' ' * len(m.group(0)), line)


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)   # a link in a heading keeps its text
    text = text.replace('`', '').strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)                       # \w keeps letters and digits of any script, and _
    return text.replace(' ', '-')


def anchors(path, cache={}):
    if path not in cache:
        found, seen = set(), {}
        with open(path, encoding='utf-8') as f:
            text = f.read()
        in_fence = False
        for line in text.splitlines():
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            m = None if in_fence else HEADING.match(line)
            if m:
                base = slug(m.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f'{base}-{n}')
        cache[path] = found
    return cache[path]


def markdown_files(args):
    if args:
        return [os.path.abspath(a) for a in args]
    out = subprocess.run(['git', 'ls-files', '-z', '--', '*.md'], cwd=ROOT, capture_output=True, check=True)
    return [os.path.join(ROOT, p) for p in out.stdout.decode().split('\0') if p]


def main(args):
    broken = 0
    files = markdown_files(args)
    for path in files:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        for number, line in prose_lines(text):
            for target in LINK.findall(line):
                if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):
                    continue   # another site, mailto:
                file_part, _, anchor = target.partition('#')
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
                where = f'{os.path.relpath(path, ROOT)}:{number}'
                if not os.path.exists(resolved):
                    print(f'{where}: {target}: no such file')
                    broken += 1
                elif anchor and resolved.endswith('.md') and anchor not in anchors(resolved):
                    print(f'{where}: {target}: no heading #{anchor} in {os.path.relpath(resolved, ROOT)}')
                    broken += 1
    print(f'doc-links: {len(files)} files, {broken} broken link(s)')
    return 1 if broken else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
