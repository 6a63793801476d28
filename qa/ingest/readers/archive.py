"""Limits on ZIP-based documents (DOCX), checked on the ZIP directory before anything unpacks them.

A DOCX of a few hundred kilobytes can unpack to gigabytes (a zip bomb). Its directory states every
member's packed and unpacked size, and Python's zipfile never unpacks more than a member's stated
size (a member that lies fails its CRC check), so the sizes can be trusted without unpacking.
Ingestion (`qa.ingest.readers.docx`) and the upload check (`qa.web.uploads`) share `zip_excess`; each says in
its own language which limit a file exceeds.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import LimitExceededError, UnreadableDocumentError

if TYPE_CHECKING:
    from qa.settings import Settings

# Members that unpack to less than this are not held to the ratio limit: a small, very regular
# XML part (an empty header, a style list) can be packed tightly and costs nothing to unpack.
RATIO_GRACE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """How large, how crowded and how tightly packed a ZIP-based document may be."""

    max_unpacked_bytes: int
    max_members: int
    max_ratio: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ZipLimits:
        return cls(
            max_unpacked_bytes=int(settings.max_unpacked_mb * 1024 * 1024),
            max_members=settings.max_zip_members,
            max_ratio=settings.max_zip_ratio,
        )


@dataclass(frozen=True)
class ZipExcess:
    """The first limit an archive exceeds: which one (its environment variable), what was found, what is allowed."""

    setting: str  # QA_MAX_UNPACKED_MB | QA_MAX_ZIP_MEMBERS | QA_MAX_ZIP_RATIO
    found: float
    limit: float
    member: str | None = None  # for the ratio: the member packed too tightly


def zip_excess(members: Sequence[zipfile.ZipInfo], limits: ZipLimits) -> ZipExcess | None:
    """The first limit that `members` (an archive's directory) exceed, or None."""
    if len(members) > limits.max_members:
        return ZipExcess("QA_MAX_ZIP_MEMBERS", len(members), limits.max_members)
    unpacked = sum(info.file_size for info in members)
    if unpacked > limits.max_unpacked_bytes:
        return ZipExcess("QA_MAX_UNPACKED_MB", unpacked / 1_048_576, limits.max_unpacked_bytes / 1_048_576)
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_GRACE_BYTES and ratio > limits.max_ratio:
            return ZipExcess("QA_MAX_ZIP_RATIO", ratio, limits.max_ratio, info.filename)
    return None


def zip_directory(path: Path) -> list[zipfile.ZipInfo]:
    """The archive's directory; reads the end of the file only. Raises zipfile.BadZipFile or OSError."""
    with zipfile.ZipFile(path) as archive:
        return archive.infolist()


def describe(excess: ZipExcess) -> str:
    """One English line naming the limit, as ingestion reports a skipped file."""
    if excess.setting == "QA_MAX_ZIP_MEMBERS":
        return f"holds {excess.found:,.0f} files; the limit is {excess.limit:,.0f} ({excess.setting})"
    if excess.setting == "QA_MAX_UNPACKED_MB":
        return f"unpacks to {excess.found:,.1f} MB; the limit is {excess.limit:g} MB ({excess.setting})"
    return f"{excess.member} is packed {excess.found:,.0f} to 1; the limit is {excess.limit:g} ({excess.setting})"


def check_zip(path: Path, display: str, limits: ZipLimits) -> None:
    """Raise UnreadableDocumentError naming `display` and the limit when the archive exceeds one."""
    try:
        members = zip_directory(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableDocumentError(display, f"broken DOCX ({type(exc).__name__}: {exc})") from exc
    excess = zip_excess(members, limits)
    if excess is not None:
        raise LimitExceededError(display, describe(excess), excess.setting, excess.found, excess.limit)
