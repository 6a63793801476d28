from __future__ import annotations

from qa.ingest.casefile import parse_case_file, title_from_filename
from qa.records import DocumentKind

GOOD = """title = "Buurtbudget Noorderpolder"
municipality = "Wierdenhaven"
year = 2015
themes = ["wijkbudget", "loting"]

[[documents]]
file = "documentanalyse.pdf"
kind = "documentanalyse"
title = "Documentanalyse Buurtbudget Noorderpolder"

[[documents]]
file = "interview-ambtenaar.docx"
kind = "interview-ambtenaar"
"""


def test_good_case_file() -> None:
    parsed = parse_case_file(GOOD, "buurtbudget-noorderpolder", "cases/b/case.toml")
    assert not parsed.problems and not parsed.malformed
    assert parsed.case.title == "Buurtbudget Noorderpolder"
    assert parsed.case.municipality == "Wierdenhaven" and parsed.case.year == 2015
    assert parsed.case.themes == ("wijkbudget", "loting")
    assert parsed.documents["documentanalyse.pdf"].kind is DocumentKind.DOCUMENTANALYSE
    assert parsed.documents["interview-ambtenaar.docx"].title == "Interview ambtenaar"


def test_unknown_keys_and_kinds_are_reported_with_line() -> None:
    source = GOOD.replace("year = 2015", "year = 2015\nbudget = 120000").replace(
        'kind = "interview-ambtenaar"', 'kind = "interview-wethouder"\nauteur = "x"'
    )
    parsed = parse_case_file(source, "b", "cases/b/case.toml")
    messages = [str(p) for p in parsed.problems]
    assert "cases/b/case.toml, line 4: unknown key 'budget'" in messages
    assert any("line 14:" in m and "unknown kind 'interview-wethouder'" in m for m in messages), messages
    assert any("line 15:" in m and "unknown key 'auteur'" in m for m in messages), messages
    assert parsed.documents["interview-ambtenaar.docx"].kind is DocumentKind.OVERIG


def test_malformed_toml_gives_line_and_falls_back() -> None:
    parsed = parse_case_file('title = "Open\nyear = 2015\n', "mijn-casus", "cases/mijn-casus/case.toml")
    assert parsed.malformed
    assert parsed.problems[0].line == 1
    assert parsed.case.title == "Mijn casus"
    assert parsed.documents == {}


def test_wrong_types_are_reported() -> None:
    parsed = parse_case_file('title = "T"\nyear = "vijftien"\n', "t", "c.toml")
    assert parsed.case.year is None
    assert [p.line for p in parsed.problems] == [2]


def test_title_from_filename() -> None:
    assert title_from_filename("verslag_bewonersavond-2015.pdf") == "Verslag bewonersavond 2015"
