"""A small study written by the tests: three cases in one Markdown document each, and a synthesis.

With the hash encoder the composer's relevance bars mean nothing, so `small_settings` lowers them:
every question about the study is answered, from the passages that share its words.
"""

from __future__ import annotations

from pathlib import Path

from qa.settings import AnswerSettings, Settings

CASES = (
    # folder, title, municipality, a success factor, a point of attention
    ("buurtbudget", "Buurtbudget Noorderpolder", "Bergen op Zoom",
     "Het buurtbudget gaf bewoners zeggenschap over geld.", "Het buurtbudget raakte snel op."),
    ("fonds", "Initiatievenfonds Wierdenhaven", "Oudewater-Noord",
     "Het fonds betaalde de zeepkistenrace van de jeugdraad.", "Het fonds vroeg te veel bonnetjes."),
    ("panel", "Burgerpanel Brakelsteyn", "Alphen aan den Rijn",
     "De onafhankelijke voorzitter leidde het panel.", "Jongeren waren ondervertegenwoordigd."),
)  # fmt: skip


def write_case(root: Path, folder_name: str, title: str, municipality: str, good: str, bad: str) -> Path:
    """One case: a case.toml and a document analysis with one success factor and one point of attention."""
    folder = root / "cases" / folder_name
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(
        f'title = "{title}"\nmunicipality = "{municipality}"\nyear = 2015\n\n'
        '[[documents]]\nfile = "analyse.md"\nkind = "documentanalyse"\ntitle = "Documentanalyse"\n',
        encoding="utf-8",
    )
    (folder / "analyse.md").write_text(
        f"# Documentanalyse\n\n## Verloop\n\nIn {municipality} liep het project {title} een jaar.\n\n"
        f"## Succesfactoren\n\n• {good}\n\n## Aandachtspunten\n\n• {bad}\n",
        encoding="utf-8",
    )
    return folder


def write_small_study(root: Path) -> Path:
    for case in CASES:
        write_case(root, *case)
    (root / "study").mkdir(parents=True)
    (root / "study" / "synthese.md").write_text(
        "# Synthese\n\n## Overkoepelende succesfactoren\n\n"
        "### 1. Een transparant proces\n\nBewoners willen zien wat er met hun inbreng gebeurt.\n",
        encoding="utf-8",
    )
    return root


def small_settings(root: Path, **overrides: object) -> Settings:
    """Settings over a small study written into root/corpus, its index in root/index (not built)."""
    corpus = write_small_study(root / "corpus")
    bars = {"guarded_bar_nl": -9, "guarded_bar_nl_unknown": -9, "abstain_below": -9, "abstain_unknown_nl": -9}
    indexing = {"guard_encoder": None, **overrides.pop("indexing", {})}  # type: ignore[dict-item]
    return Settings(
        corpus=corpus,
        index=root / "index",
        users_file=root / "geen-gebruikers.json",
        answer=AnswerSettings(**bars),  # type: ignore[arg-type]
        indexing=indexing,  # type: ignore[arg-type]
        **overrides,  # type: ignore[arg-type]
    )
