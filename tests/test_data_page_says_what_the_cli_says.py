"""Issue 22's "Done when": the same bad files give the same messages on the Data page as on
the command line. A handful of the battery's files (tests/bad_files.py), each checked with
`python -m peakend load --dry-run` and uploaded and checked on the page (in English): the
refusal, the counts, every reason with its column and rows, and every note."""

from __future__ import annotations

import re
import shutil

import streamlit as st
from streamlit.testing.v1 import AppTest

from bad_files import cases
from conftest import sign_in_apptest
from peakend.core.i18n import set_language
from test_data_page import data_app

FILES = [
    "misspelt.csv",  # unknown columns, with the column each probably meant
    "offsets.csv",  # timestamps with an offset, converted
    "multiline.csv",  # a value over lines: rows as a spreadsheet numbers them
    "implausible.csv",  # plausibility: 1900, 2099, a 13-hour wait, a long id, a script as purpose
    "header_again.csv",  # the header repeated mid-file
    "gzipped.csv",  # a gzip file named .csv
    "formula.xlsx",  # a formula cell without a saved value
    "two.zip",  # refused: two CSVs in one zip
    "cp1252.csv",  # refused: Windows-1252 text
]
REASON_LINE = re.compile(r"^  ([\d,]+) × (.+)$")


def _plain(markdown: str) -> str:
    """Markdown as it reads on the page: backslash escapes taken out."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _cli_dry_run(db_file, path, capsys) -> tuple[int, list[str]]:
    from peakend.cli import main as cli_main

    code = cli_main(["load", str(path), "--db", str(db_file), "--dry-run"])
    return code, capsys.readouterr().out.splitlines()


def _page_check(path) -> AppTest:
    at = AppTest.from_function(data_app, default_timeout=90)
    sign_in_apptest(at, "admin")
    at.session_state["lang"] = "en"
    at.run()
    at.file_uploader(key="dm_upload").set_value((path.name, path.read_bytes(), "application/octet-stream"))
    at.run()
    check = [b for b in at.button if b.key == "dm_check"]  # none for a file the preview refuses
    if check and not check[0].disabled:
        check[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_data_page_says_what_the_cli_says(fixture_db_file, tmp_path, monkeypatch, capsys, subtests):
    by_file = {c.file: c for c in cases()}
    cli_db, page_db = tmp_path / "cli.duckdb", tmp_path / "page.duckdb"  # one process, one file each
    shutil.copyfile(fixture_db_file, cli_db)
    shutil.copyfile(fixture_db_file, page_db)
    monkeypatch.setenv("PEAKEND_DB", str(page_db))
    set_language("en")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        for name in FILES:
            with subtests.test(file=name):
                folder = tmp_path / name.replace(".", "_")
                folder.mkdir()
                path = by_file[name].write(folder)
                code, said = _cli_dry_run(cli_db, path, capsys)
                at = _page_check(path)
                shown = [_plain(e.value) for kind in ("error", "warning", "caption", "info") for e in at.get(kind)]
                if said[0].startswith("REFUSED "):
                    assert code == 1
                    message = said[0].removeprefix("REFUSED ")
                    assert any(message in text for text in shown), (message, shown)
                    continue
                assert code == 0, said
                counts = re.search(r"([\d,]+) rows? would load, ([\d,]+) would be rejected", said[0])
                metrics = {m.label: m.value for m in at.metric}
                assert (metrics["Will load"], metrics["Will be rejected"]) == counts.groups(), (said[0], metrics)
                reasons = [line for line in said[1:] if REASON_LINE.match(line)]
                tables = [d.value for d in at.dataframe if {"reason", "column", "rows"} <= set(d.value.columns)]
                on_page = [f"  {r.rows:,} × {r.column} {r.reason}" for t in tables for r in t.itertuples()]
                assert sorted(on_page) == sorted(reasons)
                assert reasons or name not in ("implausible.csv", "header_again.csv", "multiline.csv")
                notes = [line.strip() for line in said[1:] if not REASON_LINE.match(line)]
                for note in notes:  # every note (and median) the command line prints, on the page too
                    assert any(note in text for text in shown), (note, shown)
                assert notes or name in ("implausible.csv", "header_again.csv", "multiline.csv")
    finally:
        st.cache_resource.clear()
        set_language("zh")
