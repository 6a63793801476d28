"""The product's vocabulary: each list matches what it names and not a word that merely contains it,
and a deployment's own file changes what the answer counts as a success-factor heading."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.answer.structure import finding_start, interviewer_prompt, list_items
from qa.answer.vocabulary import filing
from qa.errors import SettingsError
from qa.ingest.chunking import split_sentences
from qa.ingest.readers.docx import heading_level
from qa.names import case_names
from qa.records import CaseInfo
from qa.search.question import read_question, topic_of
from qa.settings import AnswerSettings, load_settings
from qa.vocabulary import PACKAGED, Vocabulary, load_vocabulary, packaged

W = packaged()


def _found(pattern: Callable[[Vocabulary], re.Pattern[str]]) -> Callable[[str], bool]:
    return lambda text: pattern(W).search(text) is not None


# (list, a text it matches, a text it must not match); questions are matched folded (lower case).
CASES: list[tuple[str, Callable[[str], bool], str, str]] = [
    ("question.positive", _found(lambda w: w.positive), "wat werkte goed?", "hoe werkt dat met de subsidie?"),
    ("question.negative", _found(lambda w: w.negative), "wat ging er mis?", "wat staat er in de mission statement?"),
    ("question.advice", _found(lambda w: w.advice), "welke tips geven ze?", "wat zijn de tipsters?"),
    ("question.resident", _found(lambda w: w.resident), "wat zeiden de deelnemers?", "wat zeiden de ambtenaren?"),
    ("question.official", _found(lambda w: w.official), "volgens de gemeente", "volgens de gemeentesecretaris"),
    ("question.analysis", _found(lambda w: w.analysis), "wat staat in de documenten?", "de documentanalyses"),
    ("question.follow_up", _found(lambda w: w.follow_up), "en hoe ging het daar?", "hoe ging het daarna?"),
    ("question.opens_follow_up", _found(lambda w: w.opens_follow_up), "en de kosten?", "enkele kosten?"),
    ("question.other_cases", _found(lambda w: w.other_cases), "en in de andere casussen?", "de anderen"),
    ("question.listing", _found(lambda w: w.listing), "noem de vijfde factor", "noemde hij de vijfenzestig?"),
    ("question.about_research", _found(lambda w: w.about_research), "welke criteria?", "hoe ging de selectie?"),
    ("question.names_study", _found(lambda w: w.names_study), "in welke casus?", "hoe ging de casusregie?"),
    ("question.across_cases", _found(lambda w: w.across_cases), "in welke gemeenten?", "in welke gemeente?"),
    ("sections.positive", _found(lambda w: w.positive_section), "Projectsuccesfactoren", "Versterking van de wijk"),
    (
        "sections.negative",
        _found(lambda w: w.negative_section),
        "Uitvoeringsknelpunten",
        "Samenstelling van de commissie",
    ),
    ("sections.advice", _found(lambda w: w.advice_section), "Beleidsaanbevelingen", "Adviesraad en commissie"),
    ("sections.method", _found(lambda w: w.method_section), "Onderzoeksverantwoording", "Wegbeperkingen"),
    ("sections.sources", lambda t: W.sources_section.match(t) is not None, "Bronnen", "Bronnenonderzoek"),
    ("document.announces_list", _found(lambda w: w.announces_list), "de volgende punten.", "volgenden"),
    ("document.announces_reason", _found(lambda w: w.announces_reason), "Toegelicht waarom.", "Ongemotiveerd."),
    ("document.refers_back", lambda t: W.refers_back.match(t) is not None, "Daarvan 63.", "Datum: 3 mei."),
    ("document.qa_labels", lambda t: W.qa_label.match(t) is not None, "Vraag 2 Kunt u", "Vraagstuk 2 is"),
]


@pytest.mark.parametrize(("name", "matches", "true", "false"), CASES, ids=[c[0] for c in CASES])
def test_each_list_matches_its_words_and_not_a_word_holding_them(
    name: str, matches: Callable[[str], bool], true: str, false: str
) -> None:
    assert matches(true), f"{name} should match {true!r}"
    assert not matches(false), f"{name} should not match {false!r}"


@pytest.mark.parametrize(
    ("kind", "question", "other", "looks", "unlike"),
    [
        ("date", "wanneer begon het?", "wat ging mis wanneer het regende?", "op 3 mei 2021", "in mei"),
        ("money", "hoeveel geld kreeg het?", "hoe ging het budget?", "€ 2.000", "Europa"),
        ("duration", "hoe lang duurde het?", "hoe langzaam ging het?", "drie weken", "drieweg"),
        ("count", "hoe vaak kwamen ze?", "hoe vaakst?", "twaalf leden", "twaalfde eeuw"),
        ("reason", "waarom stopte het?", "waaromheen?", "omdat het regende", "omdatte"),
    ],
)
def test_each_answer_type_asks_and_looks_by_its_words(
    kind: str, question: str, other: str, looks: str, unlike: str
) -> None:
    assert read_question(question).answer_type == kind
    assert read_question(other).answer_type != kind
    pattern = next(p for name, _asks, p in W.answer_types if name == kind)
    assert pattern.search(looks)
    assert not pattern.search(unlike)


def test_abbreviations_keep_a_sentence_whole_and_a_full_stop_elsewhere_ends_it() -> None:
    assert len(split_sentences("Dat zei dhr. Jansen. Daarna ging het mis.")) == 2
    assert len(split_sentences("Dat zei Jansen. Daarna ging het mis.")) == 2
    assert len(split_sentences("Dat zei de heer. Daarna ging het mis.")) == 2
    assert "mr" in W.abbreviations and "heer" not in W.abbreviations


def test_bullets_start_a_finding_and_other_marks_do_not() -> None:
    assert finding_start("• De wijkregisseur was het aanspreekpunt.", 10) == 2
    assert finding_start("> De wijkregisseur was het aanspreekpunt.", 10) is None
    assert list_items("De volgende aanbevelingen.\n• Eén\n• Twee", 26) == [(29, 32), (35, 39)]
    assert list_items("De volgende aanbevelingen.\n> Eén\n> Twee", 26) == []


def test_the_interviewer_label_marks_a_prompt_and_a_speaker_label_does_not() -> None:
    text = "Interviewer: Wat ging er goed?\nWijkregisseur: De snelheid."
    assert interviewer_prompt(text, len(text)) == "Wat ging er goed?"
    assert interviewer_prompt("Wijkregisseur: Wat ging er goed?\nDe snelheid.", 40) is None


def test_heading_styles_of_both_languages_make_a_heading_and_body_styles_do_not() -> None:
    class Style:
        def __init__(self, name: str) -> None:
            self.name = name

    class Paragraph:
        def __init__(self, style: str) -> None:
            self.style = Style(style)

    assert heading_level(Paragraph("Kop 2")) == 2
    assert heading_level(Paragraph("Title")) == 0
    assert heading_level(Paragraph("Standaard")) is None


def test_the_notice_of_made_up_material_is_recognised_and_other_fiction_is_not() -> None:
    assert W.is_notice("Dit is Fictief voorbeeldmateriaal voor de demo.")
    assert not W.is_notice("Het verhaal is fictief.")


def test_phrases_per_language() -> None:
    assert W.phrases["nl"].not_discussed == "Niet besproken in"
    assert W.phrases["en"].number(3) == "three"
    assert W.phrases["nl"].number(3) == "3"


def test_a_municipalitys_own_file_changes_what_counts_as_a_success_factor_heading(tmp_path: Path) -> None:
    own = tmp_path / "vocabulary.nl.toml"
    text = PACKAGED[0].read_text(encoding="utf-8")
    packaged_positive = next(
        line for line in text.splitlines() if line.startswith("positive = ") and "'wat werkte'" in line
    )
    own.write_text(text.replace(packaged_positive, "positive = ['wat ons hielp']"), encoding="utf-8")
    settings = load_settings(answer=AnswerSettings(vocabulary=(own, PACKAGED[1])))

    assert filing("Casus 3 › Wat ons hielp", "positive") == 0.0  # the packaged words do not know it ...
    assert filing("Casus 3 › Wat ons hielp", "positive", settings.answer.words) == 1.0
    assert filing("Casus 3 › Succesfactoren", "positive") == 1.0
    assert filing("Casus 3 › Succesfactoren", "positive", settings.answer.words) == 0.0


def test_a_vocabulary_that_does_not_read_is_reported_with_its_file(tmp_path: Path) -> None:
    broken = tmp_path / "vocabulary.nl.toml"
    broken.write_text("[question\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"vocabulary\.nl\.toml.*not valid TOML"):
        load_vocabulary((broken,))
    with pytest.raises(SettingsError, match=r"vocabulary\.nl\.toml"):
        load_settings(answer={"vocabulary": [str(broken)]})


def test_name_particles_join_a_case_name_and_other_small_words_do_not() -> None:
    names = case_names(CaseInfo("c", "Buurtfonds Alphen aan den Rijn", None))
    assert "alphen aan den rijn" in names
    assert "buurtfonds" not in names  # the title's first word is capitalised anyway
    names = case_names(CaseInfo("c", "Wijkbudget Groot Ammers met Noordeinde", None))
    assert "groot ammers met noordeinde" not in names  # "met" joins no name


def test_a_vocabulary_without_a_language_the_answer_is_written_in_is_refused() -> None:
    with pytest.raises(SettingsError, match="no vocabulary file for language en"):
        load_settings(answer={"vocabulary": [str(PACKAGED[0])]})


def test_the_chats_messages_are_in_every_language_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    words = packaged()
    assert set(words.messages["nl"]) == set(words.messages["en"]) >= {"generic", "too_many_questions", "disk_full"}
    assert words.messages["nl"]["thanks"] == "Dank voor je beoordeling."
    assert words.toast_titles["nl"]["error"] == "Fout" and words.toast_titles["en"]["error"] == "Error"
    own = tmp_path / "vocabulary.en.toml"
    text = PACKAGED[1].read_text(encoding="utf-8")
    own.write_text(text.replace('thanks = "Thank you for your rating."\n', ""), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[messages\] does not hold the same texts in every language"):
        load_vocabulary((PACKAGED[0], own))


def test_function_words_tell_one_language_and_a_word_of_both_grammars_tells_none() -> None:
    grammar = W.function_words
    assert {"de", "wat", "bij"} <= grammar["nl"] and {"the", "what", "did"} <= grammar["en"]
    assert not grammar["nl"] & grammar["en"]
    assert not {"in", "is", "was", "of"} & (grammar["nl"] | grammar["en"])


def test_words_that_say_nothing_of_a_topic_leave_the_topic() -> None:
    assert {"de", "gemeenten", "bewoners", "the", "municipalities", "residents"} <= W.not_topic
    assert not {"loting", "buurtbudget", "sortition", "volunteers"} & W.not_topic
    assert topic_of("Welke gemeenten werkten met loting?") == "werkten loting"
    assert topic_of("Which municipalities used sortition?") == "used sortition"
