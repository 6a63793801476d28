"""The checks an upload must pass before anything is written: an allowed extension, content that
matches it (a file that starts with the PDF header, as ingestion requires; a ZIP holding
``word/document.xml``; text that is UTF-8 or Windows-1252), the size limit, a DOCX's ZIP directory
against the limits ingestion applies too (no zip bombs), the reading limits, and a cleaned file name
that cannot point outside its case folder. Messages are in Dutch: they are shown to the admin as they are.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import LimitExceededError, QaError, UnreadableDocumentError
from qa.ingest.corpus import CASE_FILE
from qa.ingest.readers.archive import ZipExcess, ZipLimits, zip_directory, zip_excess
from qa.ingest.readers.signature import HEAD_BYTES, PDF_HEADER, starts_as_pdf
from qa.ingest.readworker import ReadingWorker
from qa.records import CASE_DOCUMENT_KINDS

ALLOWED_EXTENSIONS = (".pdf", ".docx", ".md", ".txt")
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


def planned_files(
    uploads: Sequence[Upload], max_bytes: int, zip_limits: ZipLimits, reader: ReadingWorker | None
) -> list[tuple[Upload, str]]:
    """Each upload with the cleaned name it gets in its case folder, once every upload has passed its
    checks (with a `reader`, also the reading limits); the first that fails raises UploadError."""
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
    return planned
