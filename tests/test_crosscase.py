"""Answers across cases: ranking inside each case, the per-case decision, the study's own factors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import make_hit
from fakes import HashEmbedder
from small_study import write_case

from qa.answer import Candidate
from qa.answer.factors import Factor
from qa.answer.gathering import CaseEvidence
from qa.answer.grouping import factor_of, group_by_factor
from qa.answer.matrix import factor_matrix
from qa.answer.selection import decision_features, judge_cases
from qa.answer.structure import finding_start
from qa.commands.cases import format_matrix
from qa.evaluation import Question, citation_problems, evaluate_crosscase
from qa.index.build import build_index
from qa.records import Answer, CaseInfo, Citation
from qa.search.question import topic_of
from qa.search.retrieval import Hit, rank_within_cases
from qa.service import Vraagbaak
from qa.settings import AnswerSettings, Settings


def _hit(case: str | None, text: str = "Een zin over het onderwerp.", chunk: int = 1) -> Hit:
    return make_hit(
        case,
        text,
        chunk,
        rank=0,
        kind="documentanalyse",
        title="Analyse",
        case_title=case.title() if case else None,
        municipality="Gemeente" if case else None,
        year=2015,
        section="Succesfactoren",
        end=0,
    )


def _candidate(case: str, score: float, chunk: int = 1) -> Candidate:
    hit = _hit(case, chunk=chunk)
    return Candidate(hit, 0, len(hit.text), None, score, score)


def test_each_case_is_ranked_among_its_own_passages() -> None:
    cases = ["a", "a", "a", "b", None]
    dense = np.array([0.9, 0.8, 0.7, 0.2, 0.95])
    lexical = np.array([0.0, 2.0, 0.0, 0.0, 1.0])
    ranked = rank_within_cases(cases, [(dense, 1.0), (lexical, 1.0)], 60, np.ones(5, dtype=bool))
    # case b's one weak passage is still its best; case a's passage with the shared word comes first
    assert ranked["b"] == [3]
    assert ranked["a"] == [1, 0, 2]
    assert ranked[None] == [4]
    only_a = rank_within_cases(cases, [(dense, 1.0)], 60, np.array([True, True, False, False, False]))
    assert set(only_a) == {"a"} and only_a["a"] == [0, 1]


def test_every_case_is_judged_on_its_own_best_sentence() -> None:
    cases = [CaseInfo(c, c.title(), "Gemeente") for c in ("a", "b", "c", "d")]
    found = [_candidate("a", 1.0), _candidate("b", 0.97, 2), _candidate("c", 0.6, 3), _candidate("a", 0.5, 4)]
    evidence = {c: CaseEvidence(0.8, 0.5, 0.4) for c in ("a", "b", "c", "d")}
    features = decision_features(found, [c.case_id for c in cases], evidence)
    assert features["a"][0] == 0.0 and features["b"][0] == pytest.approx(-0.03)
    assert features["d"][0] == pytest.approx(-2.0)  # no sentence of d was gathered
    config = AnswerSettings(case_weights=(1.0, 0.0, 0.0, 0.0, 0.0), case_bar_spanning=-0.05)
    verdicts = {v.case_id: v for v in judge_cases(found, cases, evidence, config)}
    assert [verdicts[c].relevant for c in "abcd"] == [True, True, False, False]
    assert verdicts["b"].score == pytest.approx(-0.03)
    lexical = AnswerSettings(case_weights=(0.0, 0.0, 1.0, 0.0, 0.0), case_bar_spanning=0.6)
    evidence["c"] = CaseEvidence(0.8, 0.9, 0.4)  # c shares the question's rare words
    # and a, below that bar, holds the study's closest sentence: it always speaks to the question
    assert [(v.case_id, v.score < 0.6) for v in judge_cases(found, cases, evidence, lexical) if v.relevant] == [
        ("a", True),
        ("c", False),
    ]
    # a question whose words do not ask about the cases together faces the other bar
    plain = AnswerSettings(case_weights=(1.0, 0.0, 0.0, 0.0, 0.0), case_bar=-0.01, case_bar_spanning=-0.05)
    assert [v.case_id for v in judge_cases(found, cases, evidence, plain, spans=False) if v.relevant] == ["a"]


def test_the_topic_of_a_question_is_what_tells_the_cases_apart() -> None:
    assert topic_of("Wat werkte goed bij bewonersinitiatieven?") == "bewonersinitiatieven"
    assert topic_of("What went wrong with neighbourhood budgets?") == "neighbourhood budgets"
    assert topic_of("Wat werkte goed?") == "wat werkte goed?"  # nothing left: the question itself


def _factor(name: str, *rows: list[float]) -> Factor:
    return Factor(name, "Overkoepelende succesfactoren", _hit(None, name), np.array(rows, dtype=np.float32))


def test_a_finding_joins_the_factor_clearly_closest_to_it() -> None:
    factors = [_factor("1. Transparantie", [1, 0, 0]), _factor("2. Budget", [0, 0, 1], [0, 0.6, 0.8])]
    config = AnswerSettings(factor_floor=0.9, factor_margin=0.05)
    assert factor_of(np.array([0, 0.6, 0.8], dtype=np.float32), factors, config) == 1  # its closest sentence
    assert factor_of(np.array([0.99, 0.14, 0], dtype=np.float32), factors, config) == 0
    assert factor_of(np.array([0.71, 0, 0.71], dtype=np.float32), factors, config) is None  # near neither
    twins = [_factor("1. Transparantie", [1, 0, 0]), _factor("2. Openheid", [0.995, 0.0999, 0])]
    assert factor_of(np.array([1, 0, 0], dtype=np.float32), twins, config) is None  # too close to call
    assert factor_of(np.array([1, 0, 0], dtype=np.float32), [], config) is None


def test_findings_are_grouped_in_the_study_order_of_its_factors() -> None:
    factors = [_factor("1. Transparantie", [1, 0, 0]), _factor("2. Budget", [0, 1, 0])]
    vectors = {1: [0, 1, 0], 2: [1, 0, 0], 3: [0, 0, 1], 4: [1, 0, 0]}
    groups = [
        [_candidate("a", 1.0, 1), _candidate("a", 0.9, 3)],
        [_candidate("b", 0.8, 2)],
        [Candidate(_hit(None, chunk=4), 0, 5, None, 0.9, 0.9)],  # the study's own quote stands above
    ]
    config = AnswerSettings(factor_floor=0.9, factor_margin=0.05)
    grouped = group_by_factor(groups, factors, lambda c: np.array(vectors[c.hit.chunk_id], dtype=np.float32), config)
    assert [(g.factor.name if g.factor else None, [c.hit.chunk_id for c in g.quotes]) for g in grouped] == [
        ("1. Transparantie", [2]),
        ("2. Budget", [1]),
        (None, [3]),
    ]


def test_a_finding_is_quoted_from_its_bullet() -> None:
    text = "Succesfactoren\n• Snelheid. Bewoners hebben energie op het moment dat ze een idee hebben.\nVerder."
    at = text.index("Bewoners")
    start = finding_start(text, at)
    assert start is not None and text[start:].startswith("Snelheid.")
    assert finding_start(text, text.index("Verder")) is None
    assert finding_start(text, text.index("Succes")) is None


def _answer(*cases: str) -> Answer:
    citations = tuple(
        Citation(n, n, case, case, "G", "d.md", "documentanalyse", "t", None, None, "tekst", "tekst")
        for n, case in enumerate(cases, start=1)
    )
    text = " ".join(f"“tekst” [{c.n}]" for c in citations)
    return Answer(question="q", text=text, abstained=False, citations=citations)


def test_cross_case_scores_count_cases_and_compare_languages() -> None:
    questions = [
        Question("Wat werkte?", (), lang="nl", cases=("a", "b"), pair="p1"),
        Question("What worked?", (), lang="en", cases=("a", "b"), pair="p1"),
    ]
    cited = {"Wat werkte?": ("a", "b", "c"), "What worked?": ("a",)}
    results, failures = evaluate_crosscase(lambda q: _answer(*cited[q]), questions)
    assert results["nl"].case_recall == 1.0 and results["nl"].case_precision == pytest.approx(2 / 3)
    assert results["en"].case_recall == 0.5 and results["en"].case_precision == 1.0
    assert results["all"].all_cited == 0.5 and results["all"].pairs == 1
    assert results["all"].jaccard == pytest.approx(1 / 3)
    assert {f["question"] for f in failures} == {"Wat werkte?", "What worked?"}


@pytest.fixture
def study(tmp_path: Path) -> Settings:
    root = tmp_path / "corpus"
    write_case(
        root,
        "budget",
        "Buurtbudget Noorderpolder",
        "Wierdenhaven",
        "Het buurtbudget gaf bewoners zeggenschap over geld.",
        "Het buurtbudget raakte snel op.",
    )
    write_case(
        root,
        "fonds",
        "Initiatievenfonds Wierdenhaven",
        "Oudewater-Noord",
        "Het fonds betaalde het buurtbudget van initiatieven.",
        "Het fonds vroeg te veel bonnetjes.",
    )
    write_case(
        root,
        "panel",
        "Burgerpanel Brakelsteyn",
        "Brakelsteyn",
        "De onafhankelijke voorzitter leidde het panel.",
        "Jongeren waren ondervertegenwoordigd.",
    )
    (root / "study").mkdir()
    (root / "study" / "synthese.md").write_text(
        "# Synthese\n\n## Overkoepelende succesfactoren\n\n"
        "### 1. Een transparant proces\n\nBewoners willen zien wat er met hun inbreng gebeurt.\n\n"
        "### 2. Budget om initiatieven te ondersteunen\n\nEen buurtbudget en een fonds betalen initiatieven.\n\n"
        "### 3. Een onafhankelijke voorzitter\n\nEen voorzitter van buiten leidt het panel.\n",
        encoding="utf-8",
    )
    bars = {"guarded_bar_nl": -9, "guarded_bar_nl_unknown": -9, "abstain_below": -9, "abstain_unknown_nl": -9}
    settings = Settings(
        corpus=root,
        index=tmp_path / "index",
        # the decision on each case by the share of the question's rare words it holds: with the hash
        # encoder, the only signal that means something
        answer=AnswerSettings(**bars, case_weights=(0.0, 0.0, 1.0, 0.0, 0.0), case_bar=0.1, case_bar_spanning=0.1),
        indexing={"guard_encoder": None},
    )
    build_index(settings, HashEmbedder())
    return settings


def test_an_answer_across_cases_names_every_case_considered(study: Settings) -> None:
    answer = Vraagbaak(study, HashEmbedder()).ask("Wat werkte goed bij het buurtbudget?")
    assert citation_problems(answer) == []
    verdicts = {v.case_id: v.relevant for v in answer.cases}
    assert verdicts == {"budget": True, "fonds": True, "panel": False}
    assert answer.text.splitlines()[-1] == "Niet besproken in: Burgerpanel Brakelsteyn (Brakelsteyn)."
    assert answer.text.startswith("In 2 van de 3 casussen noemen betrokkenen wat goed werkte")
    cited = {c.case_id for c in answer.citations if c.case_id}
    assert cited == {"budget", "fonds"}
    payload = answer.as_json()
    assert [c["case_id"] for c in payload["cases"]] == ["budget", "fonds", "panel"]  # type: ignore[index]
    assert set(payload["cases"][0]) == {"case_id", "case_title", "municipality", "relevant", "score"}  # type: ignore[index]


def test_a_plain_question_that_one_case_answers_lists_no_others(study: Settings) -> None:
    answer = Vraagbaak(study, HashEmbedder()).ask("Wat deed de onafhankelijke voorzitter?")
    assert [v.case_id for v in answer.cases if v.relevant] == ["panel"]
    assert "Niet besproken in" not in answer.text  # its words do not put it to the cases together


def test_a_question_about_one_case_keeps_its_form(study: Settings) -> None:
    answer = Vraagbaak(study, HashEmbedder()).ask("Wat werkte goed bij het Burgerpanel Brakelsteyn?")
    assert answer.cases == ()
    assert "Niet besproken in" not in answer.text
    assert {c.case_id for c in answer.citations if c.case_id} == {"panel"}


def test_the_matrix_holds_the_studys_own_factors_and_the_cases_findings(study: Settings) -> None:
    loose = study.answer.model_copy(update={"factor_floor": -1.0, "factor_margin": 0.0})
    service = Vraagbaak(study.model_copy(update={"answer": loose}), HashEmbedder())
    version = service.retriever.version()
    matrix = factor_matrix(version, loose, "positive")
    assert matrix.factors == (
        "1. Een transparant proces",
        "2. Budget om initiatieven te ondersteunen",
        "3. Een onafhankelijke voorzitter",
    )
    assert matrix.family == "Overkoepelende succesfactoren"
    quotes = {q for passages in matrix.cells.values() for p in passages for q in p.quotes}
    assert "De onafhankelijke voorzitter leidde het panel." in quotes
    assert not any("bonnetjes" in q for q in quotes)  # a point of attention, not a success factor
    negative = factor_matrix(version, loose, "negative")
    assert any("bonnetjes" in q for passages in negative.cells.values() for p in passages for q in p.quotes)
    strict = factor_matrix(version, study.answer.model_copy(update={"factor_floor": 1.01}), "positive")
    assert strict.factors == matrix.factors and strict.cells == {}


def test_the_matrix_reads_as_a_table(study: Settings) -> None:
    loose = study.answer.model_copy(update={"factor_floor": -1.0, "factor_margin": 0.0})
    version = Vraagbaak(study.model_copy(update={"answer": loose}), HashEmbedder()).retriever.version()
    matrix = factor_matrix(version, loose, "positive")
    lines = format_matrix(matrix).splitlines()
    assert lines[1] == "  F1 = 1. Een transparant proces"
    row = next(line for line in lines if line.startswith("Burgerpanel Brakelsteyn"))
    counts = row.split()[-3:]
    assert counts == [str(len(matrix.cell("panel", i)) or ".") for i in range(3)]
    assert sum(len(matrix.cell("panel", i)) for i in range(3)) >= 1
