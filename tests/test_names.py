"""Which cases a question names: municipalities and titles as whole phrases, written as users write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashEmbedder
from small_study import small_settings

from qa.names import named_cases, without_names
from qa.records import CaseInfo
from qa.service import Vraagbaak

CASES = (
    CaseInfo("oudewater", "Wijkvisie Oudewater", "Oudewater-Noord"),
    CaseInfo("bergen", "Buurtbudget Noorderpolder", "Bergen op Zoom"),
    CaseInfo("bosch", "Burgerbegroting", "'s-Hertogenbosch"),
    CaseInfo("fryslan", "Dorpsvisies", "Súdwest-Fryslân"),
    CaseInfo("alphen", "Burgerpanel Brakelsteyn", "Gemeente Alphen aan den Rijn"),
    CaseInfo("zoom", "Jongerenraad Zoomwijk", "Zoom"),
)


@pytest.mark.parametrize(
    ("question", "case"),
    [
        ("Wat werkte in Oudewater-Noord?", "oudewater"),
        ("Wat werkte in oudewater noord?", "oudewater"),
        ("Wat werkte in OUDEWATERNOORD?", "oudewater"),
        ("Wat werkte in Bergen op Zoom?", "bergen"),
        ("Wat werkte in de gemeente bergen op zoom?", "bergen"),
        ("Wat werkte in Bergen-op-Zoom?", "bergen"),
        ("Wat werkte in 's-Hertogenbosch?", "bosch"),
        ("Wat werkte in ’s-Hertogenbosch?", "bosch"),
        ("Wat werkte in s Hertogenbosch?", "bosch"),
        ("Wat werkte in Hertogenbosch?", "bosch"),
        ("Wat werkte in Súdwest-Fryslân?", "fryslan"),
        ("Wat werkte in Sudwest Fryslan?", "fryslan"),
        ("Wat werkte in súdwestfryslân?", "fryslan"),
        ("Wat werkte in Alphen aan den Rijn?", "alphen"),
        ("Wat werkte in gemeente Alphen aan den Rijn?", "alphen"),
        ("Wat werkte bij het burgerpanel brakelsteyn?", "alphen"),  # a title, whole
        ("Wat deed de jongerenraad in Zoom?", "zoom"),
    ],
)
def test_a_question_names_a_case_as_users_write_it(question: str, case: str) -> None:
    assert named_cases(question, CASES) == (case,)


@pytest.mark.parametrize(
    "question",
    [
        "Wat werkte in het noorden?",  # part of Oudewater-Noord
        "Wat werkte in Bergen?",  # part of Bergen op Zoom
        "Wat werkte aan de Rijn?",  # part of Alphen aan den Rijn
        "Wat werkte in Fryslân?",  # part of Súdwest-Fryslân
        "Wat werkte in Oudewaternoorden?",  # a longer word
        "Hoe ging het met de gemeente?",
    ],
)
def test_part_of_a_name_names_no_case(question: str) -> None:
    assert named_cases(question, CASES) == ()


def test_noord_alone_does_not_name_oudewater_noord() -> None:
    assert named_cases("Wat gebeurde er in Noord?", CASES) == ()


@pytest.mark.parametrize(
    ("question", "case", "left"),
    [
        ("Wat werkte in Oudewater-Noord?", "oudewater", "Wat werkte in?"),
        ("Wat werkte in de gemeente Bergen op Zoom?", "bergen", "Wat werkte in de?"),
        ("Wat werkte in 's-Hertogenbosch goed?", "bosch", "Wat werkte in goed?"),
        ("Wat werkte in sudwest fryslan?", "fryslan", "Wat werkte in?"),
        ("Alphen aan den Rijn: wat werkte?", "alphen", ": wat werkte?"),
    ],
)
def test_without_names_takes_the_whole_name_out(question: str, case: str, left: str) -> None:
    chosen = [c for c in CASES if c.case_id == case]
    assert without_names(question, chosen) == left


def test_without_names_leaves_other_cases_names() -> None:
    bergen = [c for c in CASES if c.case_id == "bergen"]
    assert without_names("Bergen op Zoom of Oudewater-Noord?", bergen) == "of Oudewater-Noord?"


@pytest.mark.parametrize(
    ("question", "case"),
    [
        # each asks about something another case's documents speak of: only the name points to the case
        ("Welke bonnetjes vroeg het fonds te veel in Bergen op Zoom?", "buurtbudget"),
        ("Wie leidde het panel als onafhankelijke voorzitter in Oudewater-Noord?", "fonds"),
    ],
)
def test_a_question_naming_a_multi_word_municipality_cites_only_that_case(
    tmp_path: Path, question: str, case: str
) -> None:
    settings = small_settings(tmp_path)
    service = Vraagbaak(settings, HashEmbedder())
    service.reindex()
    answer = service.ask(question)
    assert answer.scope == (case,)
    assert {c.case_id for c in answer.citations} == {case}
