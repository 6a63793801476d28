"""The composer's rules, on a tiny real corpus with the deterministic fake encoder."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import make_hit, make_pdf
from fakes import HashEmbedder

from qa.answer import Candidate, ScoreParts, Signals, abstains, candidates, rescore, resolve, select, weigh
from qa.answer.scoring import clause, own_similarity, word_overlap
from qa.answer.structure import continued_items, find_outline, heading_span, list_continues, list_items, tabular
from qa.answer.writing import lead_line
from qa.evaluation import FactTrace, Question, citation_problems, on_intent, trace_fact
from qa.index.build import build_index
from qa.index.lexical import LexicalIndex, tokenize
from qa.names import without_names
from qa.records import Answer, CaseInfo, Citation, Turn
from qa.search.question import detect_language, looks_like, read_question
from qa.search.retrieval import Filters, Hit, Sentence
from qa.service import Vraagbaak
from qa.settings import AnswerSettings, Settings

CASES = [
    CaseInfo("buurtbudget", "Buurtbudget Noorderpolder", "Wierdenhaven", 2015),
    CaseInfo("fonds", "Initiatievenfonds Wierdenhaven", "Wierdenhaven", 2014),
    CaseInfo("panel", "Burgerpanel Brakelsteyn", "Brakelsteyn", 2015),
]


def check_integrity(answer: Answer) -> None:
    """The product's own check: quotes verbatim, markers resolving, sources cited, numbered by first use."""
    assert citation_problems(answer) == []


def _case(root: Path, slug: str, title: str, municipality: str, good: str, bad: str) -> None:
    folder = root / "cases" / slug
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(
        f'title = "{title}"\nmunicipality = "{municipality}"\nyear = 2015\n\n'
        '[[documents]]\nfile = "analyse.pdf"\nkind = "documentanalyse"\ntitle = "Documentanalyse"\n\n'
        '[[documents]]\nfile = "bewoner.md"\nkind = "interview-bewoner"\ntitle = "Interview bewoner"\n',
        encoding="utf-8",
    )
    make_pdf(
        folder / "analyse.pdf",
        [
            ["Aanleiding", f"De gemeente {municipality} begon in 2015 met {title.lower()} voor bewoners."],
            ["Succesfactoren", good, "Aandachtspunten", bad],
        ],
        header=f"Fictief rapport {title}",
    )
    (folder / "bewoner.md").write_text(
        f"# Interview bewoner\n\n## Ervaring\n\nBewoner: Ik vond {title.lower()} een goed idee voor de buurt.\n",
        encoding="utf-8",
    )


@pytest.fixture
def service(tmp_path: Path) -> Vraagbaak:
    root = tmp_path / "corpus"
    _case(
        root,
        "buurtbudget",
        "Buurtbudget Noorderpolder",
        "Wierdenhaven",
        "De buurtjury door loting werkte goed en werd als eerlijk ervaren.",
        "Het tellen van papieren stemmen duurde drie weken.",
    )
    _case(
        root,
        "panel",
        "Burgerpanel Brakelsteyn",
        "Brakelsteyn",
        "De onafhankelijke voorzitter werkte goed voor het vertrouwen van het panel.",
        "Jongeren onder de 25 waren ondervertegenwoordigd in het panel.",
    )
    (root / "study").mkdir()
    (root / "study" / "synthese.md").write_text(
        "# Synthese\n\n## Overkoepelende succesfactoren\n\nRuimte voor experiment werkte goed in meerdere gemeenten.\n\n"
        "## Casus 2: Burgerpanel Brakelsteyn (Brakelsteyn)\n\nIn Brakelsteyn gaf de voorzitter het panel vertrouwen.\n",
        encoding="utf-8",
    )
    settings = Settings(
        corpus=root,
        index=tmp_path / "index",
        answer=AnswerSettings(
            abstain_below=0.0,
            abstain_unknown_nl=0.0,
            abstain_unknown_en=0.0,
            guarded_bar_nl=-9,
            guarded_bar_nl_unknown=-9,
            guarded_bar_en=-9,
            group_margin=0.5,
            case_bar=-9,
            case_bar_spanning=-9,
        ),
    )
    build_index(settings, HashEmbedder())
    return Vraagbaak(settings, HashEmbedder())


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_answer_quotes_verbatim_and_cites_every_source(service: Vraagbaak) -> None:
    answer = service.ask("Wat werkte goed bij de buurtjury en het panel?")
    assert not answer.abstained and answer.citations
    check_integrity(answer)
    assert answer.text.startswith("In ")
    assert "**Buurtbudget Noorderpolder** (Wierdenhaven)" in answer.text
    assert any("loting werkte goed" in c.quote for c in answer.citations)
    pdf = next(c for c in answer.citations if c.document.endswith("analyse.pdf"))
    assert pdf.page == 2 and pdf.kind == "documentanalyse"
    assert answer.as_json()["citations"][0]["n"] == 1


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_named_municipality_restricts_the_answer(service: Vraagbaak) -> None:
    answer = service.ask("Wat ging er mis in Brakelsteyn?")
    check_integrity(answer)
    assert {c.case_id for c in answer.citations} <= {"panel", None}
    assert any("Jongeren" in c.quote for c in answer.citations)


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_a_scoped_question_keeps_only_the_synthesis_passages_that_name_its_cases(service: Vraagbaak) -> None:
    version = service.retriever.version()
    texts = {row.text for row in version.chunk_rows(version.allowed_ids(Filters(scope=("panel",))).tolist()).values()}
    assert any("In Brakelsteyn gaf de voorzitter" in t for t in texts)
    assert not any("Ruimte voor experiment werkte goed" in t for t in texts)
    assert any("onafhankelijke voorzitter" in t for t in texts)  # the case's own documents
    unscoped = {row.text for row in version.chunk_rows(version.allowed_ids(Filters(kind="studie")).tolist()).values()}
    assert any("Ruimte voor experiment werkte goed" in t for t in unscoped)


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_a_synthesis_section_about_a_case_is_cited_as_that_case(service: Vraagbaak) -> None:
    version = service.retriever.version()
    rows = version.chunk_rows(version.allowed_ids(Filters(kind="studie")).tolist()).values()
    hits = {row.section: version.hit(row) for row in rows}
    about = hits["Casus 2: Burgerpanel Brakelsteyn (Brakelsteyn)"]
    assert (about.case_id, about.municipality, about.kind) == ("panel", "Brakelsteyn", "studie")
    assert about.document == "study/synthese.md"
    assert hits["Overkoepelende succesfactoren"].case_id is None


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_kind_of_source_from_the_question(service: Vraagbaak) -> None:
    answer = service.ask("Wat zeiden bewoners in Wierdenhaven over het idee voor de buurt?")
    check_integrity(answer)
    assert answer.citations and {c.kind for c in answer.citations} == {"interview-bewoner"}
    assert {c.case_id for c in answer.citations} == {"buurtbudget"}


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_follow_up_stays_with_the_case(service: Vraagbaak) -> None:
    first = service.ask("Wat werkte goed in Brakelsteyn?")
    history = [Turn("user", first.question), Turn("assistant", first.text, scope=first.scope)]
    assert first.scope == ("panel",)
    follow = service.ask("En wat zeiden de bewoners daar?", history=history)
    check_integrity(follow)
    assert {c.case_id for c in follow.citations} == {"panel"}
    assert {c.kind for c in follow.citations} == {"interview-bewoner"}


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_explicit_filter_wins(service: Vraagbaak) -> None:
    answer = service.ask("Wat werkte goed?", filters=Filters(case="buurtbudget"))
    check_integrity(answer)
    assert {c.case_id for c in answer.citations} == {"buurtbudget"}


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_abstains_plainly_in_the_question_language(tmp_path: Path, service: Vraagbaak) -> None:
    strict = Vraagbaak(
        service.settings.model_copy(
            update={
                "answer": AnswerSettings(
                    abstain_below=9,
                    abstain_unknown_nl=9,
                    abstain_unknown_en=9,
                    guarded_bar_nl=9,
                    guarded_bar_nl_unknown=9,
                    guarded_bar_en=9,
                )
            }
        ),
        HashEmbedder(),
    )
    answer = strict.ask("How do I renew my passport?")
    assert answer.abstained and not answer.citations and "[" not in answer.text
    assert answer.language == "en" and answer.text.startswith("The study does not address")


def test_resolve_other_cases_inherits_topic_and_flips_scope() -> None:
    history = [
        Turn("user", "Wat werkte goed bij het Buurtbudget Noorderpolder?"),
        Turn("assistant", "…", scope=("buurtbudget",)),
    ]
    resolved = resolve("and in the other cases?", history, CASES)
    # the topic comes along, the case it was about does not
    assert resolved.inherited and "werkte goed" in resolved.query and "Noorderpolder" not in resolved.query
    assert resolved.scope == ("fonds", "panel")
    assert resolved.cues.intent == "positive"
    same = resolve("En wat zeiden de bewoners daar?", history, CASES)
    assert same.scope == ("buurtbudget",) and same.cues.kind == "interview-bewoner"
    fresh = resolve("Wat ging er mis in Brakelsteyn?", history, CASES)
    assert fresh.scope == ("panel",) and not fresh.inherited
    # after a follow-up without a topic of its own, "the other cases" goes back to the question before
    longer = [*history, Turn("user", "En wat zeiden de bewoners daar?"), Turn("assistant", "…", scope=("buurtbudget",))]
    again = resolve("En in de andere casussen?", longer, CASES)
    assert again.query.startswith("Wat werkte goed bij het Buurtbudget?") and again.scope == ("fonds", "panel")


@pytest.mark.parametrize(
    ("question", "language", "intent", "kind"),
    [
        ("Wat werkte goed bij bewonersinitiatieven?", "nl", "positive", None),
        ("What worked for resident initiatives?", "en", "positive", None),
        ("Wat zeiden bewoners in Wierdenhaven?", "nl", None, "interview-bewoner"),
        ("What went wrong with the citizens' panel?", "en", "negative", None),
        ("Waar moet je op letten bij digitale participatie?", "nl", "negative", None),
        ("What did the officials say about the budget?", "en", None, "interview-ambtenaar"),
        ("What does the study recommend to The Hague?", "en", "advice", None),
        ("Wat raden de onderzoekers Den Haag aan?", "nl", "advice", None),
        ("Hoeveel aanbevelingen deed het panel?", "nl", None, None),  # asks for a count, not for advice
        ("What should be done differently next time?", "en", "negative", None),
        ("Wat ging er minder goed bij het buurtbudget?", "nl", "negative", None),
        ("Welke gemeenten werkten met loting?", "nl", None, None),  # worked with, not what worked
        ("Hoe werkt het initiatievenfonds?", "nl", None, None),
    ],
)
def test_question_cues(question: str, language: str, intent: str | None, kind: str | None) -> None:
    cues = read_question(question)
    assert (cues.language, cues.intent, cues.kind) == (language, intent, kind)
    assert detect_language(question) == language


def replace_config(config: AnswerSettings, **changes: float) -> AnswerSettings:
    return config.model_copy(update=changes)


def test_abstention_rule_with_and_without_a_guard() -> None:
    config = AnswerSettings(
        guard_weight=1.0, guarded_bar_nl=1.2, guarded_bar_nl_unknown=1.3, guarded_bar_en=1.1, abstain_below=0.8
    )
    # with background questions, and far from all of them
    on_topic = Signals(relevance=0.9, topicality=0.35, unknown_words=False, elsewhere=0.0)
    assert abstains(on_topic, "nl", config) == (False, pytest.approx(1.25), 1.2)
    # the same score with a word the study never uses: Dutch questions then face the higher bar
    assert abstains(replace(on_topic, unknown_words=True), "nl", config) == (True, pytest.approx(1.25), 1.3)
    off_topic = Signals(relevance=0.9, topicality=0.15, unknown_words=False, elsewhere=0.0)
    assert abstains(off_topic, "en", config)[0]
    assert not abstains(replace(off_topic, relevance=0.97, unknown_words=True), "en", config)[0]
    # the best quotable sentence adds its cosine (support_weight 1 by default)
    assert abstains(replace(off_topic, support=0.3), "en", config) == (False, pytest.approx(1.35), 1.1)
    assert abstains(replace(off_topic, support=0.3), "en", replace_config(config, support_weight=0.0))[0]
    # closeness to everyday questions the study does not answer is taken off (background_weight 0.75)
    assert abstains(replace(on_topic, elsewhere=0.2), "nl", config) == (True, pytest.approx(1.1), 1.2)
    # without the list (or with weight 0) the score lacks that term and faces the bars chosen for that
    alone = replace_config(config, background_weight=0.0, guarded_bar_nl_alone=1.2)
    assert abstains(replace(on_topic, elsewhere=0.2), "nl", alone) == (False, pytest.approx(1.25), 1.2)
    no_list = replace(on_topic, elsewhere=None)
    assert abstains(no_list, "en", replace_config(config, guarded_bar_en_alone=1.3)) == (True, pytest.approx(1.25), 1.3)
    # Without guard vectors only the main encoder's relevance counts, with the higher bar for unknown words.
    assert not abstains(Signals(relevance=0.85, topicality=None, unknown_words=False), "nl", config)[0]
    assert abstains(Signals(relevance=0.85, topicality=None, unknown_words=True), "nl", config)[0]


@pytest.mark.parametrize(
    ("question", "kind", "yes", "no"),
    [
        ("Op welke datum stelde de raad de nota vast?", "date", "op 7 juli 2016 vastgesteld", "De raad stemde in."),
        ("How large is the loan fund?", "money", "een lening van € 2 miljoen", "een lening voor woningen"),
        ("Hoe snel besloot de commissie?", "duration", "binnen zestien dagen", "De commissie besloot snel."),
        ("How many residents took part?", "count", "Er deden 140 bewoners mee.", "Er deden bewoners mee."),
        ("Waarom trad de secretaris af?", "reason", "Hij trad af omdat hij op was.", "Hij trad eind 2015 af."),
    ],
)
def test_answer_types(question: str, kind: str, yes: str, no: str) -> None:
    cues = read_question(question)
    assert cues.answer_type == kind
    assert looks_like(cues.answer_type, yes)
    assert not looks_like(cues.answer_type, no)


def test_questions_about_the_research_itself() -> None:
    assert read_question("Welke criteria zijn gebruikt om de cases te selecteren?").about_research
    assert read_question("How long did the interviews for the study last?").about_research
    assert not read_question("Hoe betrek je jongeren bij participatie?").about_research


def test_no_answer_type_for_open_questions() -> None:
    assert read_question("Wat werkte goed bij bewonersinitiatieven?").answer_type is None


def _candidate(case_id: str | None, score: float, passage_rank: int, chunk_id: int) -> Candidate:
    text = f"Zin {chunk_id} over {case_id or 'de studie'} die iets zegt."
    hit = make_hit(case_id, text, chunk_id, rank=passage_rank + 1, section="Wat werkte goed")
    return Candidate(hit, 0, len(text), None, score, score, 1, passage_rank)


def test_select_lists_the_study_first_then_cases_by_sentence_and_retrieval_rank() -> None:
    found = [
        _candidate("b", 0.90, passage_rank=7, chunk_id=1),
        _candidate("a", 0.89, passage_rank=0, chunk_id=2),
        _candidate(None, 0.85, passage_rank=3, chunk_id=3),
        _candidate("c", 0.70, passage_rank=1, chunk_id=4),  # below the margin: left out
    ]
    by_sentence = select(found, AnswerSettings(case_rank_weight=0.0, group_margin=0.07), single_case=False)
    assert [g[0].group for g in by_sentence] == ["", "b", "a"]
    with_rank = select(found, AnswerSettings(case_rank_weight=0.05, group_margin=0.07), single_case=False)
    assert [g[0].group for g in with_rank] == ["", "a", "b"]
    assert [g[0].group for g in select(found, AnswerSettings(group_margin=0.07), False, max_cases=1)] == ["", "a"]


def test_a_case_stands_by_how_retrieval_ranked_its_best_passage_whichever_passage_is_quoted() -> None:
    found = [
        _candidate("b", 0.91, passage_rank=3, chunk_id=1),
        _candidate("a", 0.90, passage_rank=5, chunk_id=2),
        _candidate("a", 0.80, passage_rank=0, chunk_id=3),  # retrieval's first passage; its sentence is not quoted
    ]
    groups = select(found, AnswerSettings(case_rank_weight=0.05, group_margin=0.07), single_case=False)
    assert [[c.hit.chunk_id for c in g] for g in groups] == [[2], [1]]


def test_select_quotes_at_most_three_sentences_per_case() -> None:
    found = [
        replace(_candidate("a", 0.90 - i * 0.001, passage_rank=i, chunk_id=10 + i), sentences=2 if i == 0 else 1)
        for i in range(4)
    ]
    groups = select(found, AnswerSettings(sentences_per_case=3, quote_margin=0.1), single_case=False)
    assert sum(c.sentences for c in groups[0]) == 3


def test_the_same_sentence_from_overlapping_passages_is_quoted_once() -> None:
    first = _candidate("a", 0.90, passage_rank=0, chunk_id=1)
    same = replace(_candidate("a", 0.89, passage_rank=1, chunk_id=2), hit=replace(first.hit, chunk_id=2))
    other = _candidate("a", 0.88, passage_rank=2, chunk_id=3)
    groups = select([first, same, other], AnswerSettings(quote_margin=0.1), single_case=True)
    assert [c.hit.chunk_id for c in groups[0]] == [1, 3]


def test_a_sentence_quoted_with_its_neighbour_takes_the_place_of_the_sentence_alone() -> None:
    text = "De opleiding kwam er samen met de medische component van Defensie. Zij gaat over oorlogswonden."
    split = text.index("Zij")
    hit = replace(_candidate("a", 0.0, 0, 1).hit, text=text)
    alone = Candidate(hit, split, len(text), None, 0.883, 0.883)
    # the same passage twice (passages share sentences at their edges): its two sentences quoted together
    both = Candidate(replace(hit, chunk_id=2), 0, len(text), None, 0.879, 0.879, sentences=2, passage_rank=1)
    other = _candidate("a", 0.846, passage_rank=2, chunk_id=3)
    config = AnswerSettings(quote_margin=0.04, sentences_per_case=3)
    groups = select([alone, both, other], config, single_case=True)
    assert [(c.quote, c.score) for c in groups[0]] == [(text, 0.883), (other.quote, 0.846)]
    # not where the wider quote would break the case's budget of sentences
    tight = select([alone, other, both], AnswerSettings(quote_margin=0.04, sentences_per_case=2), single_case=True)
    assert [c.quote for c in tight[0]] == [text[split:], other.quote]


def test_a_quote_too_short_to_stand_alone_comes_with_the_next_sentence() -> None:
    text = "Wijkregisseur: Drie dingen. De loting, de website en een vast aanspreekpunt.\nVerder niets."
    hit = replace(_candidate("a", 0.0, 0, 1).hit, text=text, kind="interview-ambtenaar", section="Wat werkte goed")
    first, second = text.index("De loting"), text.index("Verder")
    spans = [(0, first - 1), (first, second - 1), (second, len(text))]
    vector = np.ones(4, dtype=np.float32) / 2
    sentences = {1: [Sentence(a, b, None, vector, vector) for a, b in spans]}
    quotes = {c.quote for c in candidates([hit], sentences, vector, {}, read_question("Wat werkte?"), AnswerSettings())}
    assert "Drie dingen. De loting, de website en een vast aanspreekpunt." in quotes
    assert "Drie dingen." not in quotes and "Verder niets." not in quotes  # 13 characters: too short


def test_names_of_the_scoped_cases_leave_the_query() -> None:
    panel = CASES[2]
    assert (
        without_names("Wat ging er mis bij het panel in Brakelsteyn?", [panel]) == "Wat ging er mis bij het panel in?"
    )
    assert without_names("Wat ging er mis in Wierdenhaven?", [panel]) == "Wat ging er mis in Wierdenhaven?"
    assert without_names("Wat ging er mis?", []) == "Wat ging er mis?"


def test_a_label_is_dropped_from_interview_quotes_only() -> None:
    text = "Wijkregisseur: Het tellen kostte drie weken."
    assert text[slice(*clause(text, 0, len(text), interview=True))] == "Het tellen kostte drie weken."
    criterion = "Spreiding over vormen van participatie: elke case staat voor een andere vorm."
    assert clause(criterion, 0, len(criterion), interview=False) == (0, len(criterion))


def test_a_sentence_ending_in_a_colon_brings_its_list() -> None:
    text = (
        "Selectie\n\nDaarbij hanteerden we deze criteria:\n\n"
        "Spreiding: elke case een andere vorm.\n\n- Actualiteit: het traject liep tussen 2014 en 2016.\n"
    )
    end = text.index(":") + 1
    items = [text[a:b] for a, b in list_items(text, end)]
    assert items == ["Spreiding: elke case een andere vorm.", "Actualiteit: het traject liep tussen 2014 en 2016."]
    assert list_items(text, text.index("Spreiding")) == []  # not after a colon
    inline = "De taak luidt als volgt: toetsen en wegen.\nVolgende regel."
    assert list_items(inline, inline.index(":") + 1) == []  # the sentence goes on after the colon
    assert len(list_items("Punten:\n" + "Punt.\n" * 20, 7, limit=8)) == 8
    # a bulleted list ends at the first line without a bullet
    bulleted = "Criteria:\n\n• Spreiding: elk een vorm.\n\n• Actualiteit: recent.\n\nDat leverde acht cases op."
    items = list_items(bulleted, bulleted.index(":") + 1)
    assert [bulleted[a:b] for a, b in items] == ["Spreiding: elk een vorm.", "Actualiteit: recent."]
    assert not list_continues(bulleted, items)  # it ended inside the passage
    cut = bulleted[: bulleted.index("\n\nDat")]
    assert list_continues(cut, list_items(cut, cut.index(":") + 1))  # it runs on past the passage
    following = "• Actualiteit: recent.\n\n• Leerwaarde: ook mislukte trajecten.\n\nDat leverde acht cases op."
    rest = continued_items(following, {"Actualiteit: recent."})
    assert [following[a:b] for a, b in rest] == ["Leerwaarde: ook mislukte trajecten."]
    assert continued_items("Een gewone zin.\n• Iets.", set()) == []  # no list at the start of the passage
    # after an item cut off mid-sentence, the next passage's first line is its tail
    tail = "Zorg voor steun van een wethouder.\n\n• Betrek bestaande partijen.\n\nTot slot."
    assert [tail[a:b] for a, b in continued_items(tail, set(), cut=True)] == ["Betrek bestaande partijen."]
    repeated = {"Wijs een aanspreekpunt aan. Zorg voor steun van een wethouder."}  # the overlap repeats it
    assert [tail[a:b] for a, b in continued_items(tail, repeated)] == ["Betrek bestaande partijen."]
    assert continued_items(tail, set()) == []  # otherwise a sentence before the bullets ends the list
    # a sentence that says what follows announces a bulleted list too; with a page break inside an item
    advice = "De volgende aanbevelingen.\n\n• Leg de kaders vast, zoals een\n\nbudget en planning.\n\n• Spreek termijnen af.\n\nTot slot."
    found = [advice[a:b] for a, b in list_items(advice, advice.index("\n"))]
    assert found == ["Leg de kaders vast, zoals een", "Spreek termijnen af."]
    assert list_items("Dat was het.\n\n• Los punt.", len("Dat was het.")) == []  # announces nothing


def _section_hit(chunk_id: int, section: str, text: str, document: str = "study/synthese.pdf") -> Hit:
    return replace(_candidate(None, 0.0, 0, chunk_id).hit, section=section, text=text, document=document)


def test_an_enumeration_question_gets_the_outline_of_its_section() -> None:
    parent = "Overkoepelende succesfactoren"
    parts = [
        _section_hit(10 + i, f"{parent} › {i}. Factor {i}", f"{i}. Factor {i}\n\nUitleg bij factor {i}.")
        for i in range(1, 5)
    ]
    asked: list[tuple[str, str]] = []

    def subsections(document: str, section: str) -> list[Hit]:
        asked.append((document, section))
        return parts if section == parent else []

    hits = [_section_hit(1, "Inleiding", "Inleiding\n\nTekst."), _section_hit(2, parent, f"{parent}\n\nZes factoren.")]
    listing = read_question("Wat zijn de overkoepelende succesfactoren?")
    assert listing.listing and read_question("What is the fifth factor?").listing
    outline = find_outline(hits, listing, subsections, min_parts=3)
    assert outline is not None and outline.name == parent and outline.parts == tuple(parts) and outline.group == ""
    assert [parts[0].text[slice(*span)] for span in [heading_span(parts[0])] if span] == ["1. Factor 1"]
    # two of the best five passages in subsections of one section also point to it
    assert find_outline([parts[1], parts[2]], listing, subsections, min_parts=3) is not None
    # not for a question that does not ask for an enumeration, nor for a section with too few parts
    assert find_outline(hits, read_question("Waarom werkte de loting?"), subsections, min_parts=3) is None
    assert find_outline(hits, listing, subsections, min_parts=5) is None
    assert ("study/synthese.pdf", "Inleiding") in asked
    # a question restricted to a case does not get the outline of the synthesis
    assert find_outline(hits, listing, subsections, min_parts=3, scope=("panel",)) is None


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_enumeration_answer_lists_the_headings_verbatim_with_citations(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "study").mkdir(parents=True)
    factors = ["Een transparant proces", "Budget voor initiatieven", "Ruimte voor experiment"]
    body = "".join(
        f"### {i}. {name}\n\nBewoners noemden {name.lower()} als factor.\n\n" for i, name in enumerate(factors, 1)
    )
    (root / "study" / "synthese.md").write_text(
        "# Synthese\n\n## Inleiding\n\nDit is de synthese van het onderzoek naar burgerparticipatie.\n\n"
        "## Overkoepelende succesfactoren\n\nUit de vergelijking komen drie overkoepelende succesfactoren naar voren.\n\n"
        + body,
        encoding="utf-8",
    )
    settings = Settings(
        corpus=root,
        index=tmp_path / "index",
        answer=AnswerSettings(
            guarded_bar_nl=-9,
            guarded_bar_nl_unknown=-9,
            guarded_bar_en=-9,
            abstain_below=-9,
            abstain_unknown_nl=-9,
            abstain_unknown_en=-9,
        ),
    )
    build_index(settings, HashEmbedder())
    answer = Vraagbaak(settings, HashEmbedder()).ask("Wat zijn de overkoepelende succesfactoren?")
    check_integrity(answer)
    assert "Onder het kopje “Overkoepelende succesfactoren” staan:" in answer.text
    for i, name in enumerate(factors, 1):
        assert f"  - “{i}. {name}” [" in answer.text
    assert {c.quote for c in answer.citations} >= {f"{i}. {name}" for i, name in enumerate(factors, 1)}


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_what_went_wrong_is_answered_from_the_points_of_attention(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    folder = root / "cases" / "markt"
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(
        'title = "Marktplein Hollevoort"\nmunicipality = "Hollevoort"\nyear = 2015\n\n'
        '[[documents]]\nfile = "analyse.md"\nkind = "documentanalyse"\ntitle = "Documentanalyse"\n',
        encoding="utf-8",
    )
    (folder / "analyse.md").write_text(
        "# Documentanalyse\n\n## Verloop\n\n"
        "Het marktplein in Hollevoort is het hart van de wijk en van de markt.\n\n"
        "Het marktplein kreeg drie avonden inspraak en een maquette.\n\n"
        "## Succesfactoren\n\nDe maquette in de bibliotheek bereikte nieuwe mensen.\n\n"
        "## Aandachtspunten\n\nDe parkeervraag was vooraf al beslist en dat werd niet verteld.\n\n"
        "De bomen gingen van 24 naar 16 zonder uitleg.\n",
        encoding="utf-8",
    )
    bars = {"guarded_bar_nl": -9, "guarded_bar_nl_unknown": -9, "abstain_below": -9, "abstain_unknown_nl": -9}
    settings = Settings(corpus=root, index=tmp_path / "index", answer=AnswerSettings(**bars))
    build_index(settings, HashEmbedder())
    service = Vraagbaak(settings, HashEmbedder())
    indifferent = Vraagbaak(
        settings.model_copy(
            update={"answer": AnswerSettings(**bars, section_weight=0, intent_passages=0, case_intent_passages=0)}
        ),
        HashEmbedder(),
    )
    question = "Wat ging er mis bij het marktplein?"
    wrong, control = service.ask(question), indifferent.ask(question)
    check_integrity(wrong)
    assert "Aandachtspunten" in {c.section for c in wrong.citations}
    assert on_intent(wrong, "negative") > on_intent(control, "negative"), (wrong.text, control.text)
    assert on_intent(wrong, "positive") == 0.0
    worked = service.ask("Wat werkte goed in Hollevoort?")
    assert "Succesfactoren" in {c.section for c in worked.citations}
    assert "noemen betrokkenen wat goed werkte" in worked.text.splitlines()[0]


def test_a_forms_fields_are_not_cut_at_their_first_label() -> None:
    # a report's title page: the colon after "Onderzoeker" labels a field, it does not end a sentence
    form = (
        "WCAG 2.2 AA onderzoek Onderzoeker: Linsey van Kuijk Consultant: Bart Pluijms Opdrachtgever: Ministerie "
        "van Volksgezondheid, Welzijn en Sport Website: Open Ministerie VWS Rapportversie: 1.1 Datum: 04 juni 2025"
    )
    assert clause(form, 0, len(form), interview=False) == (0, len(form))


def test_a_table_run_into_its_lead_in_is_quoted_up_to_the_colon() -> None:
    lead = "De raad reageerde op 28 april 2016, vijf maanden later, en nam 12 aanbevelingen over:"
    text = lead + " Nr. Aanbeveling Besluit raad " + " ".join(f"{i} Aanbeveling {i} Overgenomen" for i in range(1, 20))
    a, b = clause(text, 0, len(text), interview=False)
    assert text[a:b] == lead
    short = "Daarbij hanteerden we deze criteria: spreiding en actualiteit."
    assert clause(short, 0, len(short), interview=False) == (0, len(short))
    sentence = (
        "Op 15 juli 2015 werden in aanwezigheid van de voorzitter 48 panelleden geloot: 24 vrouwen en 24 mannen, "
        "verdeeld over de vier wijken Centrum (12), Brakel-Noord (13), Steynhof (12) en De Weiden (11)."
    )
    assert clause(sentence, 0, len(sentence), interview=False) == (0, len(sentence))
    assert tabular(
        "Nr. Casus Gemeente Jaar " + " ".join(f"{i} Buurtbudget Noorderpolder Wierdenhaven 2015" for i in range(8))
    )
    assert not tabular(sentence)


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_a_list_that_runs_on_into_the_next_passage_is_quoted_whole(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "study").mkdir(parents=True)
    criteria = [
        f"Criterium {n}: een case voldeed aan eis nummer {n} van de begeleidingscommissie." for n in range(1, 7)
    ]
    (root / "study" / "methode.md").write_text(
        "# Methode\n\n## Selectie van de cases\n\nDe commissie bracht de lijst terug tot acht cases. "
        "Daarbij hanteerden we deze selectiecriteria:\n\n"
        + "".join(f"- {c}\n" for c in criteria)
        + "\nDat leverde acht cases op.\n",
        encoding="utf-8",
    )
    settings = Settings(
        corpus=root,
        index=tmp_path / "index",
        chunk={"size": 300, "overlap": 80, "min_size": 100},  # type: ignore[arg-type]
        answer=AnswerSettings(guarded_bar_nl=-9, guarded_bar_nl_unknown=-9, abstain_below=-9, abstain_unknown_nl=-9),
    )
    build_index(settings, HashEmbedder())
    service = Vraagbaak(settings, HashEmbedder())
    version = service.retriever.version()
    rows = version.chunk_rows(version.allowed_ids(Filters(kind="studie")).tolist())
    hits = sorted((version.hit(row) for row in rows.values()), key=lambda h: h.start)
    assert version.next_passage(hits[0]) is None  # the title passage: the next one is in another section
    selection = [h for h in hits if h.section == "Selectie van de cases"]
    assert len(selection) >= 2 and version.next_passage(selection[0]) == selection[1]
    assert version.next_passage(selection[-1]) is None
    answer = service.ask("Daarbij hanteerden we deze selectiecriteria")
    check_integrity(answer)
    assert "Daarbij hanteerden we deze selectiecriteria:” [1]" in answer.text, answer.text
    for criterion in criteria:
        assert f"  - “{criterion}” [" in answer.text
    listed = answer.text.split("selectiecriteria:")[1].split("\n\n")[0]
    assert "Dat leverde acht cases op." not in listed  # the list ends where the bullets do
    assert {"[1]", "[2]"} <= set(re.findall(r"\[\d\]", listed))  # items after the cut cite the next passage


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("In welke casussen namen bewoners taken van de gemeente over?", True),
        ("Which cases used a lottery?", True),
        ("Wat zegt het onderzoek over jongeren?", True),
        ("What powers does the mayor have in case of riots?", False),
        ("Hoe vraag ik een bodemonderzoek aan?", False),
    ],
)
def test_a_question_that_names_the_study_or_its_cases(question: str, names: bool) -> None:
    """Such a question is put to the study: the background questions do not count against it."""
    assert read_question(question).names_study is names


def test_the_lead_names_the_study_and_the_one_case_it_quotes() -> None:
    def group(case_id: str | None, title: str | None) -> list[Candidate]:
        hit = Hit(
            rank=1, score=1.0, chunk_id=1, document="d", kind="studie", title="T", case_id=case_id,
            case_title=title, municipality="Zandwijck" if case_id else None, year=None, page=None,
            page_end=None, section=None, text="Een zin.", start=0, end=8,
        )  # fmt: skip
        return [Candidate(hit, 0, 8, None, 1.0, 1.0)]

    platform = group("platform", "Digitaal platform Zandwijck Denkt Mee")
    english, dutch = read_question("How much did the platform cost?"), read_question("Wat kostte het platform?")
    both = [group(None, None), platform]
    assert lead_line(english, both, 8).startswith("The study as a whole and the case Digitaal platform Zandwijck")
    assert lead_line(dutch, both, 8) == (
        "Het onderzoek als geheel en de casus Digitaal platform Zandwijck Denkt Mee (Zandwijck) gaan hierop in:"
    )
    assert lead_line(dutch, [platform], 8).startswith("In de casus Digitaal platform Zandwijck Denkt Mee (Zandwijck)")


def test_a_table_announced_by_a_colon_is_listed_by_its_rows() -> None:
    text = (
        "De raad nam 12 aanbevelingen over:\n\n"
        "Nr. | Aanbeveling | Besluit raad\n"
        "Nr.: 1; Aanbeveling: Duurzaamheidslening; Besluit raad: Overgenomen\n"
        "Nr.: 2; Aanbeveling: Gratis energiescan; Besluit raad: Overgenomen"
    )
    items = [text[a:b] for a, b in list_items(text, text.index(":") + 1)]
    assert items == [
        "Nr.: 1; Aanbeveling: Duurzaamheidslening; Besluit raad: Overgenomen",
        "Nr.: 2; Aanbeveling: Gratis energiescan; Besluit raad: Overgenomen",
    ]


@pytest.mark.parametrize(
    ("question", "kind", "across"),
    [
        ("What went wrong when residents were chosen by lot?", None, False),  # "when" inside: no date asked
        ("When did the cooperative take over the maintenance?", "date", False),
        ("Hoeveel gemeenten werkten met loting?", "count", True),
        ("Hoeveel panelleden waren jonger dan 25?", "count", False),
    ],
)
def test_what_kind_of_answer_and_whether_it_spans_cases(question: str, kind: str | None, across: bool) -> None:
    """A fact question that does not span cases is answered from one case (answer.factoid_cases)."""
    cues = read_question(question)
    assert (cues.answer_type, cues.across_cases) == (kind, across)


def _two_sentences(text: str, lead: np.ndarray, follower: np.ndarray) -> tuple[Hit, dict[int, list[Sentence]]]:
    hit = replace(_candidate("a", 0.0, 0, 1).hit, text=text, kind="documentanalyse", section="Resultaten")
    split = text.index(". ") + 2
    return hit, {1: [Sentence(0, split - 1, None, lead, lead), Sentence(split, len(text), None, follower, follower)]}


def test_a_sentence_that_leans_on_the_one_before_is_quoted_with_it() -> None:
    question = np.array([1, 0, 0, 0], dtype=np.float32)
    weak, strong = np.array([0, 1, 0, 0], dtype=np.float32), question
    text = "Er kwamen in 2014 in totaal 81 aanvragen binnen. Daarvan werden er 63 gehonoreerd door het fonds."
    hit, sentences = _two_sentences(text, weak, strong)
    quotes = [c.quote for c in candidates([hit], sentences, question, {}, read_question("Hoeveel?"), AnswerSettings())]
    assert quotes[0] == text  # "Daarvan" needs the 81 applications before it
    alone = "Er kwamen in 2014 in totaal 81 aanvragen binnen. Een wandelgroep kreeg € 900 voor koffie en begeleiding."
    hit, sentences = _two_sentences(alone, weak, strong)
    quotes = [c.quote for c in candidates([hit], sentences, question, {}, read_question("Hoeveel?"), AnswerSettings())]
    assert quotes[0] == "Een wandelgroep kreeg € 900 voor koffie en begeleiding."  # stands alone: quoted alone


def test_a_sentence_is_scored_in_both_forms_as_the_settings_mix_them() -> None:
    assert own_similarity(0.6, 1.0, AnswerSettings(question_form_weight=0)) == pytest.approx(0.6)
    assert own_similarity(0.6, 1.0, AnswerSettings(question_form_weight=1)) == pytest.approx(1.0)
    assert own_similarity(0.6, 1.0, AnswerSettings(question_form_weight=0.5)) == pytest.approx(0.8)


def test_rare_words_weigh_more_in_the_overlap() -> None:
    rare, common = {"cadeaubon": 3.0, "bewoner": 0.5}, {"cadeaubon": 1.0, "bewoner": 1.0}
    assert word_overlap("De bewoners kregen een cadeaubon.", rare) == pytest.approx((3.0 + 0.5) / 3.5)
    assert word_overlap("De bewoners kregen een bos bloemen.", rare) == pytest.approx(0.5 / 3.5)
    assert word_overlap("De bewoners kregen een bos bloemen.", common) == pytest.approx(0.5)
    assert word_overlap("De bewoners kregen een bos bloemen.", {}) == 0.0


def test_the_overlap_counts_a_compound_by_its_parts_as_bm25_matches_it() -> None:
    texts = ["Het geluid van de trein.", "Hinder voor de buren.", "Overlast in de wijk.", "Geluid en overlast."]
    sentence = "Infrabel meet de geluidshinder langs het spoor."
    index = LexicalIndex.build([*texts, sentence], np.arange(len(texts) + 1))
    question = dict.fromkeys(index.terms("Geluidsoverlast van treinen"), 1.0)
    assert word_overlap(sentence, question) == 0.0  # as whole words, "geluidsoverlast" is not "geluidshinder"
    assert word_overlap(sentence, question, index.term_set) == pytest.approx(1 / 4)  # both hold "geluid"


def _parts(**given: Any) -> ScoreParts:
    plain: dict[str, Any] = dict(
        as_passage=0.8, as_question=0.8, beside=None, overlap=0.0, section=0.0, typed=False, held_back=False, rank=0
    )
    return ScoreParts(**(plain | given))


def test_a_sentence_borrows_from_the_best_of_its_neighbours() -> None:
    config = AnswerSettings(neighbour_weight=0.25, question_form_weight=0.5)
    assert weigh(_parts(as_passage=0.9, as_question=0.9, beside=0.5), config) == pytest.approx(0.75 * 0.9 + 0.25 * 0.5)
    assert weigh(_parts(as_passage=0.8, as_question=0.8), config) == pytest.approx(0.8)  # alone in its passage
    assert weigh(_parts(beside=0.5), AnswerSettings(neighbour_weight=0.0)) == pytest.approx(0.8)


def test_each_part_of_a_score_is_weighed_by_its_setting() -> None:
    config = AnswerSettings(
        neighbour_weight=0.0,
        lexical_weight=0.2,
        section_weight=0.1,
        answer_type_bonus=0.03,
        intro_penalty=0.05,
        rank_penalty=0.01,
    )
    base = weigh(_parts(), config)
    assert weigh(_parts(overlap=0.5), config) - base == pytest.approx(0.1)
    assert weigh(_parts(section=-0.5), config) - base == pytest.approx(-0.05)
    assert weigh(_parts(typed=True), config) - base == pytest.approx(0.03)
    assert weigh(_parts(held_back=True), config) - base == pytest.approx(-0.05)
    assert weigh(_parts(rank=3), config) - base == pytest.approx(-0.03)


def test_a_candidate_keeps_its_parts_and_rescores_to_its_own_score() -> None:
    """What `benchmarks.sentence_weights` relies on: weighing the kept parts again gives the score
    the candidate was ranked by, for a sentence alone and for a pair."""
    weak, strong = np.array([0.6, 0.8, 0, 0], dtype=np.float32), np.array([1, 0, 0, 0], dtype=np.float32)
    question = strong
    text = "Er kwamen in 2014 in totaal 81 aanvragen binnen. Daarvan werden er 63 gehonoreerd door het fonds."
    hit, sentences = _two_sentences(text, weak, strong)
    config = AnswerSettings()
    words = {word: 2.0 for word in tokenize("aanvragen")}
    found = candidates([hit], sentences, question, words, read_question("Hoeveel?"), config)
    assert {c.sentences for c in found} == {1, 2}
    for candidate in found:
        assert len(candidate.parts) == candidate.sentences
        assert rescore(candidate, config) == candidate.score
    other = AnswerSettings(lexical_weight=1.0)
    pair = next(c for c in found if c.sentences == 2)
    assert rescore(pair, other) > pair.score  # the first sentence shares "aanvragen" with the question


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_the_passages_of_the_closest_sentences_are_found_within_the_filters(service: Vraagbaak) -> None:
    version = service.retriever.version()
    sentence = "Het tellen van papieren stemmen duurde drie weken."
    vector = HashEmbedder().embed_queries([sentence])[0]
    [best] = version.closest_sentences(vector, 0.5, None, 1, set())
    assert sentence in version.chunk_rows([best])[best].text
    panel = version.allowed_ids(Filters(case="panel"))
    assert panel is not None and best not in panel
    within = version.closest_sentences(vector, 0.5, panel, 2, set())
    assert within and set(within) <= set(panel.tolist())
    assert version.closest_sentences(vector, 0.5, None, 0, set()) == []
    # a passage joins only when its sentence is closer than every sentence already retrieved
    assert best in version.closest_sentences(vector, 0.5, None, 3, set(within))
    assert version.closest_sentences(vector, 0.5, None, 3, {best}) == []


def test_a_fact_left_out_because_its_passage_was_quoted_already_is_traced_so() -> None:
    """An answer that quotes several cases quotes a passage once: a second sentence of it that holds
    the fact is lost for that reason, not for the case's budget."""
    text = "De jury werkte goed. Stemmen kon ook op papier, met een biljet."
    hit = replace(_candidate("a", 0.0, 0, 1).hit, text=text)
    quoted, fact = Candidate(hit, 0, 20, None, 0.9, 0.9), Candidate(hit, 21, len(text), None, 0.89, 0.89)
    other = _candidate("b", 0.88, 1, 2)
    got = SimpleNamespace(hits=[hit, other.hit], found=[quoted, fact, other], filters=Filters())
    citation = Citation(1, 1, "a", "a", None, "cases/a/a.md", None, "Titel", None, None, text, quoted.quote)
    beside = Citation(2, 2, "b", "b", None, "cases/b/a.md", None, "Titel", None, None, other.quote, other.quote)
    answer = Answer("Vraag", f"“{quoted.quote}” [1] “{other.quote}” [2]", False, (citation, beside))
    question = Question("Kon je op papier stemmen?", ("a",), fact="biljet", lang="nl")
    trace = trace_fact(question, got, answer, AnswerSettings())  # type: ignore[arg-type]
    assert trace == FactTrace(True, 1, False, "its passage quoted for another sentence")
    alone = SimpleNamespace(hits=got.hits, found=got.found, filters=Filters(case="a"))
    assert trace_fact(question, alone, answer, AnswerSettings()).why == "budget of its case spent"  # type: ignore[arg-type]
