"""Adding and removing documents of the corpus from the web app, safely.

Uploads are checked before anything is written (`qa.web.uploadchecks`), then written all or nothing
(`qa.web.corpuswrites`). The case's ``case.toml`` is written or updated with the case metadata and
each document's kind.

Nothing is deleted for good: a removed (or replaced) document moves to
``<corpus>/_prullenbak/<timestamp>/<its path>``; folders starting with ``_`` are never ingested.
Messages are in Dutch: they are shown to the admin as they are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QaError
from qa.ingest.casefile import default_case
from qa.ingest.corpus import CASE_FILE, CASES_DIR, STUDY_DIR
from qa.ingest.readers.archive import ZipLimits
from qa.ingest.readers.plain import decode, markdown_blocks
from qa.ingest.readworker import ReadingWorker
from qa.web.corpuswrites import (
    copy_atomically,
    read_case_file,
    render_case_toml,
    timestamp,
    to_trash,
    update_case_file,
    write_error,
    write_text_atomically,
)
from qa.web.uploadchecks import (
    CaseForm,
    Upload,
    UploadError,
    check_content,
    clean_filename,
    planned_files,
    slugify,
)

__all__ = [
    "Added",
    "CaseForm",
    "Upload",
    "UploadError",
    "add_documents",
    "case_choices",
    "case_folders",
    "check_content",
    "clean_filename",
    "markdown_title",
    "removable_documents",
    "remove_document",
    "render_case_toml",
    "slugify",
]


@dataclass(frozen=True)
class Added:
    case_id: str
    files: tuple[str, ...]  # paths relative to the corpus root
    replaced: tuple[str, ...] = ()  # earlier versions moved to the trash


def case_choices(corpus: Path) -> list[tuple[str, str]]:
    """(title, folder name) of every case folder, by title: the title from its case.toml, else the
    title its folder name gives (as the corpus reads it)."""
    choices = []
    for case_id in case_folders(corpus):
        case_file = corpus / CASES_DIR / case_id / CASE_FILE
        title = None
        if case_file.is_file():
            with contextlib.suppress(UploadError):
                title = read_case_file(case_file).get("title")
        choices.append((title if isinstance(title, str) and title.strip() else default_case(case_id).title, case_id))
    return sorted(choices, key=lambda choice: (choice[0].casefold(), choice[1]))


def case_folders(corpus: Path) -> list[str]:
    folder = corpus / CASES_DIR
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith((".", "_"))
    )


def removable_documents(corpus: Path) -> list[str]:
    """Documents on disk under cases/ and study/ (relative paths), whether indexed yet or not."""
    root = corpus.resolve()
    found: list[str] = []
    for top in (CASES_DIR, STUDY_DIR):
        folder = root / top
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            parts = file.relative_to(root).parts
            if (
                file.is_file()
                and not file.is_symlink()  # never ingested either
                and file.name != CASE_FILE
                and not any(p.startswith((".", "_")) for p in parts)
            ):
                found.append(file.relative_to(root).as_posix())
    return found


def _case_dir(corpus: Path, case_id: str) -> Path:
    cases = (corpus / CASES_DIR).resolve()
    folder = (cases / case_id).resolve()
    if folder.parent != cases or case_id.startswith((".", "_")):
        raise UploadError(f"onbekende casus '{case_id}'")
    return folder


def add_documents(
    corpus: Path,
    uploads: Sequence[Upload],
    max_bytes: int,
    zip_limits: ZipLimits,
    case_id: str | None = None,
    new_case: CaseForm | None = None,
    reader: ReadingWorker | None = None,
) -> Added:
    """Put `uploads` into an existing case (`case_id`) or a new one (`new_case`); all or nothing. With a
    `reader`, each file is also read as ingestion will read it and refused when over a reading limit."""
    if not uploads:
        raise UploadError("kies ten minste één bestand")
    case_id = _chosen_case(corpus, case_id, new_case)
    folder = _case_dir(corpus, case_id)
    planned = planned_files(uploads, max_bytes, zip_limits, reader)
    replaced = _write_uploads(corpus, folder, planned, new_case)
    files = tuple((folder / name).relative_to(corpus.resolve()).as_posix() for _, name in planned)
    return Added(case_id, files, tuple(replaced))


def _chosen_case(corpus: Path, case_id: str | None, new_case: CaseForm | None) -> str:
    """The folder name of the case the uploads go into: an existing one, or the new case's (not taken yet)."""
    if (case_id is None) == (new_case is None):
        raise UploadError("kies een bestaande casus of vul de gegevens van een nieuwe casus in")
    if new_case is not None:
        if not new_case.title.strip():
            raise UploadError("een nieuwe casus heeft een titel nodig")
        case_id = slugify(new_case.title)
        if not case_id:
            raise UploadError("de titel moet letters of cijfers bevatten")
        if (corpus / CASES_DIR / case_id).exists():
            raise UploadError(f"de casus '{case_id}' bestaat al; kies die als bestaande casus")
    else:
        assert case_id is not None
        if case_id not in case_folders(corpus):
            raise UploadError(f"onbekende casus '{case_id}'")
    return case_id


def _write_uploads(
    corpus: Path, folder: Path, planned: list[tuple[Upload, str]], new_case: CaseForm | None
) -> list[str]:
    """Copy the planned uploads into the case folder and record them in its case.toml, all or nothing
    (a write that fails half-way, on a full disk, is undone); returns the earlier versions trashed."""
    replaced: list[str] = []
    stamp = timestamp()
    written: list[Path] = []  # what to undo when a write fails half-way (a full disk): all or nothing
    moved: list[tuple[Path, Path]] = []
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for upload, name in planned:
            target = folder / name
            if target.exists():
                trashed = to_trash(corpus, target, stamp)
                moved.append((trashed, target))
                replaced.append(trashed.relative_to(corpus).as_posix())
            copy_atomically(upload.source, target)
            written.append(target)
        titles = [
            u.title or (markdown_title(u.source) if name.lower().endswith(".md") else None) for u, name in planned
        ]
        update_case_file(
            folder / CASE_FILE,
            new_case,
            [(name, u.kind, title) for (u, name), title in zip(planned, titles, strict=True)],
        )
    except OSError as exc:
        for target in written:
            target.unlink(missing_ok=True)
        for trashed, target in reversed(moved):
            os.replace(trashed, target)
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        mapped = write_error(folder, exc)
        if mapped is exc:
            raise
        raise mapped from exc
    return replaced


def remove_document(corpus: Path, relative: str) -> Path:
    """Move a document of a case to the trash and drop it from its case.toml; returns where it went."""
    root = corpus.resolve()
    file = (root / relative).resolve()
    if root not in file.parents or not file.is_file():
        raise UploadError(f"{relative}: geen document van dit corpus")
    step = root
    for part in Path(relative).parts:  # a link is never indexed, so it is no document to remove either
        step = step / part
        if step.is_symlink():
            raise UploadError(f"{relative}: een koppeling (symbolische link) is geen document van dit corpus")
    parts = file.relative_to(root).parts
    if any(part.startswith((".", "_")) for part in parts) or file.name == CASE_FILE:
        raise UploadError(f"{relative}: dit bestand kan niet worden verwijderd")
    moved = to_trash(root, file, timestamp())
    if parts[0] == CASES_DIR and len(parts) >= 3:
        case_file = root / CASES_DIR / parts[1] / CASE_FILE
        inside = Path(*parts[2:]).as_posix()
        if case_file.is_file():
            data = read_case_file(case_file)
            entries = [d for d in data.get("documents", []) if isinstance(d, dict) and d.get("file") != inside]
            if len(entries) != len(data.get("documents", [])):
                data["documents"] = entries
                write_text_atomically(case_file, render_case_toml(data))
    return moved


def markdown_title(path: Path) -> str | None:
    """A Markdown document's first heading, as its reader reads it: its title when none is given."""
    try:
        text, _notes = decode(path.read_bytes(), path.name)
    except (OSError, QaError):
        return None
    return next((block.text for block in markdown_blocks(text) if block.is_heading and block.text.strip()), None)
