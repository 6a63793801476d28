"""Adding and removing documents of the corpus from the web app, safely.

Uploads are checked before anything is written: allowed extension, content that matches it
(a file that starts with the PDF header, as ingestion requires; a ZIP holding ``word/document.xml``;
text that is UTF-8 or Windows-1252), the size
limit, a DOCX's ZIP directory against the limits ingestion applies too (no zip bombs), and a
cleaned file name that cannot point outside its case folder. The case's
``case.toml`` is written or updated with the case metadata and each document's kind.

Nothing is deleted for good: a removed (or replaced) document moves to
``<corpus>/_prullenbak/<timestamp>/<its path>``; folders starting with ``_`` are never ingested.
Messages are in Dutch: they are shown to the admin as they are.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
import tomllib
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qa.errors import LimitExceededError, QaError, UnreadableDocumentError, is_disk_full
from qa.ingest.casefile import default_case
from qa.ingest.corpus import CASE_FILE, CASES_DIR, STUDY_DIR
from qa.ingest.readers.archive import ZipExcess, ZipLimits, zip_directory, zip_excess
from qa.ingest.readers.plain import decode, markdown_blocks
from qa.ingest.readers.signature import HEAD_BYTES, PDF_HEADER, starts_as_pdf
from qa.ingest.readworker import ReadingWorker
from qa.records import CASE_DOCUMENT_KINDS

ALLOWED_EXTENSIONS = (".pdf", ".docx", ".md", ".txt")
TRASH_DIR = "_prullenbak"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(QaError):
    """An upload or removal was refused; the message says which file and why (in Dutch)."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the user gave it, where the upload is stored, what it is."""

    name: str
    source: Path
    kind: str = "overig"
    title: str | None = None


@dataclass(frozen=True)
class CaseForm:
    """Metadata of a new case as entered in the form."""

    title: str
    municipality: str | None = None
    year: int | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Added:
    case_id: str
    files: tuple[str, ...]  # paths relative to the corpus root
    replaced: tuple[str, ...] = ()  # earlier versions moved to the trash


def slugify(title: str) -> str:
    """'Buurtbudget Noorderpolder!' -> 'buurtbudget-noorderpolder'."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80].strip("-")


def clean_filename(name: str) -> str:
    """Keep the last path part only, and of it only [A-Za-z0-9._-]; never hidden, never empty."""
    base = re.split(r"[\\/]", name.strip())[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"-{2,}", "-", _UNSAFE.sub("-", base))
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"\.{2,}", ".", stem).strip(".-_")
    if not stem:
        stem = "document"
    cleaned = f"{stem}.{suffix.lower()}" if suffix else stem
    return cleaned[:120]


def _dutch_number(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _dutch_limit(limit: float) -> str:
    """A limit as a Dutch number: whole, or with one decimal where it has one."""
    return _dutch_number(limit) if limit == int(limit) else _dutch_number(limit, 1)


def _describe_excess(excess: ZipExcess) -> str:
    """The Dutch twin of qa.ingest.readers.archive.describe."""
    limit = _dutch_limit(excess.limit)
    if excess.setting == "QA_MAX_ZIP_MEMBERS":
        return f"bevat {_dutch_number(excess.found)} bestanden; de grens is {limit} ({excess.setting})"
    if excess.setting == "QA_MAX_UNPACKED_MB":
        return f"pakt uit tot {_dutch_number(excess.found, 1)} MB; de grens is {limit} MB ({excess.setting})"
    return f"{excess.member} is {_dutch_number(excess.found)} op 1 ingepakt; de grens is {limit} ({excess.setting})"


def describe_limit(exc: LimitExceededError) -> str:
    """The Dutch twin of a reading limit's reason (pages, characters, reading time and memory, the ZIP limits)."""
    limit = _dutch_limit(exc.limit)
    if exc.setting == "QA_MAX_PDF_PAGES":
        return f"heeft {_dutch_number(exc.found)} pagina's; de grens is {limit} ({exc.setting})"
    if exc.setting == "QA_MAX_DOCUMENT_CHARS":
        return f"bevat {_dutch_number(exc.found)} tekens tekst; de grens is {limit} ({exc.setting})"
    if exc.setting == "QA_MAX_READ_SECONDS":
        return f"het lezen duurde langer dan de grens van {limit} seconden ({exc.setting})"
    if exc.setting == "QA_MAX_READ_MEMORY_MB":
        return f"het lezen vroeg meer geheugen dan de grens van {limit} MB ({exc.setting})"
    return _describe_excess(ZipExcess(exc.setting, exc.found, exc.limit, "een onderdeel"))


def check_limits(path: Path, display: str, reader: ReadingWorker) -> None:
    """Read the file as ingestion will (in `reader`, the reading worker, with the same limits) and raise
    UploadError when it is over one of them. A file ingestion cannot read for another reason is let
    through: the next re-index names it with its reason."""
    try:
        reader.read(path, display)
    except LimitExceededError as exc:
        raise UploadError(f"{display}: {describe_limit(exc)}") from exc
    except UnreadableDocumentError:
        pass


def check_content(path: Path, extension: str, max_bytes: int, display: str, zip_limits: ZipLimits) -> None:
    """Raise UploadError unless the file's size and content fit its extension (and a DOCX, `zip_limits`)."""
    size = path.stat().st_size
    if size == 0:
        raise UploadError(f"{display}: het bestand is leeg")
    if size > max_bytes:
        raise UploadError(f"{display}: te groot ({size / 1_048_576:.1f} MB; de grens is {max_bytes / 1_048_576:g} MB)")
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if extension == ".pdf":
        if not starts_as_pdf(head):
            raise UploadError(f"{display}: dit is geen PDF (het bestand begint niet met {PDF_HEADER.decode()})")
    elif extension == ".docx":
        try:
            members = zip_directory(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UploadError(f"{display}: dit is geen Word-document (geen geldig DOCX-bestand)") from exc
        excess = zip_excess(members, zip_limits)
        if excess is not None:
            raise UploadError(f"{display}: {_describe_excess(excess)}")
        if "word/document.xml" not in {info.filename for info in members}:
            raise UploadError(f"{display}: dit is geen Word-document (word/document.xml ontbreekt)")
    else:
        _check_text(path.read_bytes(), display)


def _check_text(data: bytes, display: str) -> None:
    if data.startswith((b"%PDF-", b"PK\x03\x04")) or b"\x00" in data:
        raise UploadError(f"{display}: dit is geen tekstbestand (binaire inhoud)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UploadError(f"{display}: geen leesbare tekst (geen UTF-8 of Windows-1252)")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if controls > max(8, len(text) // 100):
        raise UploadError(f"{display}: dit is geen tekstbestand (te veel stuurtekens)")


def case_choices(corpus: Path) -> list[tuple[str, str]]:
    """(title, folder name) of every case folder, by title: the title from its case.toml, else the
    title its folder name gives (as the corpus reads it)."""
    choices = []
    for case_id in case_folders(corpus):
        case_file = corpus / CASES_DIR / case_id / CASE_FILE
        title = None
        if case_file.is_file():
            with contextlib.suppress(UploadError):
                title = _read_case_file(case_file).get("title")
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
    folder = _case_dir(corpus, case_id)

    planned: list[tuple[Upload, str]] = []
    for upload in uploads:
        name = clean_filename(upload.name)
        extension = Path(name).suffix.lower()
        if extension not in ALLOWED_EXTENSIONS:
            raise UploadError(
                f"{upload.name}: bestandstype '{extension or '(geen)'}' niet toegestaan "
                f"(toegestaan: {', '.join(ALLOWED_EXTENSIONS)})"
            )
        if name == CASE_FILE or any(name == other for _, other in planned):
            raise UploadError(f"{upload.name}: dubbele of ongeldige bestandsnaam '{name}'")
        if upload.kind not in CASE_DOCUMENT_KINDS:
            raise UploadError(f"{upload.name}: onbekende soort '{upload.kind}'")
        check_content(upload.source, extension, max_bytes, upload.name, zip_limits)
        if reader is not None:
            check_limits(upload.source, upload.name, reader)
        planned.append((upload, name))

    replaced: list[str] = []
    stamp = _timestamp()
    written: list[Path] = []  # what to undo when a write fails half-way (a full disk): all or nothing
    moved: list[tuple[Path, Path]] = []
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for upload, name in planned:
            target = folder / name
            if target.exists():
                trashed = _to_trash(corpus, target, stamp)
                moved.append((trashed, target))
                replaced.append(trashed.relative_to(corpus).as_posix())
            _copy_atomically(upload.source, target)
            written.append(target)
        titles = [
            u.title or (markdown_title(u.source) if name.lower().endswith(".md") else None) for u, name in planned
        ]
        _update_case_file(
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
        mapped = _write_error(folder, exc)
        if mapped is exc:
            raise
        raise mapped from exc
    files = tuple((folder / name).relative_to(corpus.resolve()).as_posix() for _, name in planned)
    return Added(case_id, files, tuple(replaced))


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
    moved = _to_trash(root, file, _timestamp())
    if parts[0] == CASES_DIR and len(parts) >= 3:
        case_file = root / CASES_DIR / parts[1] / CASE_FILE
        inside = Path(*parts[2:]).as_posix()
        if case_file.is_file():
            data = _read_case_file(case_file)
            entries = [d for d in data.get("documents", []) if isinstance(d, dict) and d.get("file") != inside]
            if len(entries) != len(data.get("documents", [])):
                data["documents"] = entries
                _write_text_atomically(case_file, render_case_toml(data))
    return moved


def _write_error(folder: Path, exc: OSError) -> OSError | UploadError:
    """A full disk or a folder the app may not write, as one Dutch line naming the folder and what to do."""
    if is_disk_full(exc):
        return UploadError(
            f"{folder}: de schijf is vol; er is niets opgeslagen. Maak ruimte vrij en probeer het opnieuw."
        )
    if isinstance(exc, PermissionError):
        return UploadError(
            f"{folder}: de server mag hier niet schrijven; er is niets opgeslagen. "
            "Geef de server schrijfrechten op deze map."
        )
    return exc


def markdown_title(path: Path) -> str | None:
    """A Markdown document's first heading, as its reader reads it: its title when none is given."""
    try:
        text, _notes = decode(path.read_bytes(), path.name)
    except (OSError, QaError):
        return None
    return next((block.text for block in markdown_blocks(text) if block.is_heading and block.text.strip()), None)


def file_mode(folder: Path) -> int:
    """The mode a new file of the corpus gets: its folder's read and write bits (a 0755 folder gives
    0644), not the 0600 of a temporary file, so uploads read like every other document."""
    return stat.S_IMODE(folder.stat().st_mode) & 0o666


def _timestamp() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S%f")


def _to_trash(root: Path, file: Path, stamp: str) -> Path:
    target = root.resolve() / TRASH_DIR / stamp / file.resolve().relative_to(root.resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(file), str(target))
    return target


def _copy_atomically(source: Path, target: Path) -> None:
    handle, temp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)  # a dot: never ingested half-written
    os.close(handle)
    try:
        shutil.copyfile(source, temp)
        os.chmod(temp, file_mode(target.parent))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_text_atomically(target: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".case-", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, file_mode(target.parent))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _read_case_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UploadError(f"{path.name} van deze casus is onleesbaar ({exc}); herstel het eerst") from exc


def _update_case_file(path: Path, new_case: CaseForm | None, documents: list[tuple[str, str, str | None]]) -> None:
    data: dict[str, Any] = _read_case_file(path) if path.is_file() else {}
    if new_case is not None:
        data["title"] = new_case.title.strip()
        if new_case.municipality:
            data["municipality"] = new_case.municipality.strip()
        if new_case.year is not None:
            data["year"] = int(new_case.year)
        if new_case.themes:
            data["themes"] = [t.strip() for t in new_case.themes if t.strip()]
    entries = [d for d in data.get("documents", []) if isinstance(d, dict)]
    for name, kind, title in documents:
        entry: dict[str, Any] = next((d for d in entries if d.get("file") == name), {"file": name})
        if entry not in entries:
            entries.append(entry)
        entry["kind"] = kind
        if title:
            entry["title"] = title.strip()
    data["documents"] = entries
    _write_text_atomically(path, render_case_toml(data))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string with ensure_ascii=False is a valid TOML basic string.
    return json.dumps(str(value), ensure_ascii=False)


def render_case_toml(data: dict[str, Any]) -> str:
    """case.toml text: the case keys first, then one [[documents]] table per document."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if key != "documents"]
    for entry in data.get("documents", []):
        lines += ["", "[[documents]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"
