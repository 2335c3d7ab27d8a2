"""`python -m peakend themes`: what each comment of a file says about each moment.

Reads one comment a line on stdin (UTF-8, a BOM is dropped) and writes one JSON object a line
on stdout, in the same order, e.g. {"themes": [{"theme": "waiting", "polarity": "negative",
"evidence": "排队两个半小时"}]}; an empty line gives {"themes": []}. Data admins check a file
of comments before loading it; anyone can score the tagger on comments of their own."""

from __future__ import annotations

import argparse
import io
import json
import sys

from peakend.hall.themes import mentions_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "example: printf '排队两个半小时，但菜很好吃\\n' | python -m peakend themes"


def run(args: argparse.Namespace, stdin=None, stdout=None) -> int:
    stdin = stdin or io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    stdout = stdout or io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", write_through=True)
    for line in stdin:
        comment = line.rstrip("\r\n")
        themes = [m.as_json() for m in mentions_of(comment)]
        stdout.write(json.dumps({"themes": themes}, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
