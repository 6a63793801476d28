"""Walk the study folder: find cases and documents, read them, report what was skipped and why.

Layout: ``cases/<slug>/case.toml`` plus the case's documents, and ``study/`` for documents that
belong to the study as a whole. Discovery (cheap: names, sizes, hashes) is separate from reading
(expensive: PDF and DOCX parsing) so that re-indexing can skip unchanged files.

Symbolic links inside the corpus (files, folders, a case.toml) are never followed: each is skipped
and named in the report, and every file kept lies inside the corpus once resolved. The corpus
folder itself may be a link.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from qa.errors import UnreadableDocumentError
from qa.ingest.casefile import default_case, parse_case_file, title_from_filename
from qa.ingest.reading import SUPPORTED, read_file
from qa.ingest.readworker import ReadingWorker
from qa.records import CaseInfo, Document, DocumentKind, DocumentMeta, IngestReport, Notice, Skipped
from qa.settings import Settings

log = logging.getLogger(__name__)

CASES_DIR = "cases"
STUDY_DIR = "study"
CASE_FILE = "case.toml"
LINK_FILE = "ignored: a symbolic link (links are not followed)"
LINK_FOLDER = "ignored: a symbolic link to a folder (links are not followed)"


@dataclass(frozen=True)
class SourceFile:
    """A file found in the corpus that will be read, with everything known before reading it."""

    path: Path
    display: str  # relative to the corpus root, POSIX style
    kind: DocumentKind
    title: str
    case: CaseInfo | None
    size: int
    sha256: str


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    cases: list[CaseInfo] = field(default_factory=list)


def _visible(path: PurePath) -> bool:
    return not path.name.startswith((".", "_", "~$"))


def is_document_path(relative: PurePath) -> bool:
    """Whether a path relative to the corpus root names a file the walk reads as a document: under
    cases/<case>/ or study/, no part hidden or starting with '_' (the trash), of a supported type."""
    parts = relative.parts
    if len(parts) < (3 if parts[:1] == (CASES_DIR,) else 2) or parts[0] not in (CASES_DIR, STUDY_DIR):
        return False
    if any(part in ("", ".", "..") or not _visible(PurePath(part)) for part in parts):
        return False
    return relative.name != CASE_FILE and relative.suffix.lower() in SUPPORTED


def inside_corpus(root: Path, path: Path) -> bool:
    """Whether `path`, with every link and '..' resolved, lies inside the corpus folder `root`."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop of links, a name the OS refuses
        return False


def _skip_link(root: Path, path: Path, found: Discovery) -> bool:
    """Report `path` as skipped when it is a symbolic link; True if it was."""
    if not path.is_symlink():
        return False
    try:
        to_folder = path.is_dir()
    except OSError:
        to_folder = False
    log.warning("skipping symbolic link %s", path)
    found.skipped.append(Skipped(_rel(root, path), LINK_FOLDER if to_folder else LINK_FILE))
    return True


def _files_under(root: Path, folder: Path, found: Discovery, case_file: Path | None = None) -> list[Path]:
    """The visible files under `folder`, links reported and left out; `case_file` is left to the caller."""
    files: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:  # no permission to list it
        found.skipped.append(Skipped(_rel(root, folder), f"unreadable folder ({exc.strerror or type(exc).__name__})"))
        return files
    for path in entries:
        if path == case_file or not _visible(path) or _skip_link(root, path, found):
            continue
        if path.is_dir():
            files.extend(_files_under(root, path, found))
        elif path.is_file():
            files.append(path)
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(settings: Settings) -> Discovery:
    """Find every case and document under the corpus folder without parsing documents."""
    root = settings.corpus
    found = Discovery()
    if not root.is_dir():
        found.warnings.append(Notice(str(root), "corpus folder not found"))
        return found
    for path in sorted(root.iterdir()):
        if not _visible(path) or _skip_link(root, path, found):
            continue
        if path.is_dir() and path.name == CASES_DIR:
            for entry in sorted(p for p in path.iterdir() if _visible(p)):
                if _skip_link(root, entry, found):
                    continue
                if entry.is_dir():
                    _discover_case(root, entry, settings, found)
                elif entry.is_file():
                    found.skipped.append(
                        Skipped(_rel(root, entry), "ignored: a file in cases/ must be in a case folder")
                    )
        elif path.is_dir() and path.name == STUDY_DIR:
            for file in _files_under(root, path, found):
                meta = DocumentMeta(file.name, DocumentKind.STUDIE, title_from_filename(file.name))
                _add_file(root, file, meta, None, settings, found)
        elif path.is_file() and path.name.lower() == "readme.md":
            continue
        else:
            found.skipped.append(Skipped(_rel(root, path), "ignored: not under cases/ or study/"))
    return found


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _discover_case(root: Path, case_dir: Path, settings: Settings, found: Discovery) -> None:
    case_file = case_dir / CASE_FILE
    display = _rel(root, case_file)
    documents: dict[str, DocumentMeta] = {}
    if case_file.is_symlink():
        found.warnings.append(Notice(display, LINK_FILE))
        case = default_case(case_dir.name)
    elif case_file.is_file():
        try:
            source = case_file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            source = "\x00"  # forces a TOML error below, reported with the file name
        except OSError as exc:
            found.warnings.append(Notice(display, f"unreadable ({exc.strerror or type(exc).__name__})"))
            source = ""  # the case is read as if it had no metadata
        parsed = parse_case_file(source, case_dir.name, display)
        case, documents = parsed.case, parsed.documents
        for problem in parsed.problems:
            found.warnings.append(
                Notice(display, str(problem).removeprefix(f"{display}: ").removeprefix(f"{display}, "))
            )
        if parsed.malformed:
            found.warnings.append(
                Notice(
                    display,
                    "case metadata missing (malformed case.toml); documents ingested with the folder name as title",
                )
            )
    else:
        case = default_case(case_dir.name)
        found.warnings.append(Notice(_rel(root, case_dir), "no case.toml; the folder name is used as the case title"))
    found.cases.append(case)

    files = [p for p in _files_under(root, case_dir, found, case_file) if p.name != CASE_FILE]
    names = {p.relative_to(case_dir).as_posix() for p in files}
    for listed in sorted(set(documents) - names):
        found.warnings.append(Notice(display, f"lists '{listed}', which is not in the case folder"))
    for file in files:
        name = file.relative_to(case_dir).as_posix()
        meta = documents.get(name) or DocumentMeta(name, DocumentKind.OVERIG, title_from_filename(name))
        _add_file(root, file, meta, case, settings, found)


def _add_file(
    root: Path, file: Path, meta: DocumentMeta, case: CaseInfo | None, settings: Settings, found: Discovery
) -> None:
    display = _rel(root, file)
    if not inside_corpus(root, file):
        found.skipped.append(Skipped(display, "ignored: its real path lies outside the corpus"))
        return
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED:
        found.skipped.append(Skipped(display, f"ignored: unsupported file type '{suffix or file.name}'"))
        return
    try:
        size = file.stat().st_size
        digest = sha256_of(file) if 0 < size <= settings.max_file_bytes else ""
    except OSError as exc:  # no permission, or gone since the folder was listed
        found.skipped.append(Skipped(display, f"unreadable ({exc.strerror or type(exc).__name__})"))
        return
    if size == 0:
        found.skipped.append(Skipped(display, "empty file"))
        return
    if size > settings.max_file_bytes:
        found.skipped.append(
            Skipped(display, f"too large ({size / 1_048_576:.1f} MB; the limit is {settings.max_file_mb:g} MB)")
        )
        return
    found.files.append(SourceFile(file, display, meta.kind, meta.title, case, size, digest))


def read_source(
    source: SourceFile, settings: Settings, worker: ReadingWorker | None = None
) -> tuple[Document, list[str]]:
    """Parse one discovered file, in `worker` (with its memory and time limits) when one is given.
    Raises UnreadableDocumentError with the reason."""
    if worker is not None:
        result = worker.read(source.path, source.display)
    else:
        result = read_file(source.path, source.display, settings)
    if not any(block.text.strip() for block in result.blocks):
        raise UnreadableDocumentError(source.display, "no text found in the document")
    document = Document(
        path=source.display,
        kind=source.kind,
        title=source.title,
        case=source.case,
        sha256=source.sha256,
        size=source.size,
        pages=result.pages,
        blocks=tuple(result.blocks),
    )
    return document, result.warnings


def read_sources(
    sources: Iterable[SourceFile],
    settings: Settings,
    report: IngestReport,
    on_done: Callable[[SourceFile], None] | None = None,
) -> None:
    """Read each source into `report`, in one reading worker; a file that fails is skipped with its
    reason, never fatal."""
    with ReadingWorker(settings) as worker:
        for source in sources:
            try:
                document, warnings = read_source(source, settings, worker)
            except UnreadableDocumentError as exc:
                report.skipped.append(Skipped(source.display, exc.reason))
            except Exception as exc:  # one bad file must never stop the rest
                log.exception("unexpected failure reading %s", source.display)
                report.skipped.append(Skipped(source.display, f"unreadable ({type(exc).__name__}: {exc})"))
            else:
                report.documents.append(document)
                report.warnings.extend(Notice(source.display, w.removeprefix(f"{source.display}: ")) for w in warnings)
            if on_done is not None:
                on_done(source)


def ingest(settings: Settings, on_done: Callable[[SourceFile], None] | None = None) -> IngestReport:
    """Discover and read the whole corpus."""
    found = discover(settings)
    report = IngestReport(skipped=list(found.skipped), warnings=list(found.warnings), cases=found.cases)
    read_sources(found.files, settings, report, on_done)
    report.skipped.sort(key=lambda s: s.path)
    return report
