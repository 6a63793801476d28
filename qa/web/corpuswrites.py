"""Writing into the corpus safely: whole files or none (a temporary file renamed into place, with the
mode of its folder), the trash, and a case's ``case.toml``.

Nothing is deleted for good: a removed (or replaced) document moves to
``<corpus>/_prullenbak/<timestamp>/<its path>``; folders starting with ``_`` are never ingested.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from qa.errors import is_disk_full
from qa.web.uploadchecks import CaseForm, UploadError

TRASH_DIR = "_prullenbak"


def write_error(folder: Path, exc: OSError) -> OSError | UploadError:
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


def file_mode(folder: Path) -> int:
    """The mode a new file of the corpus gets: its folder's read and write bits (a 0755 folder gives
    0644), not the 0600 of a temporary file, so uploads read like every other document."""
    return stat.S_IMODE(folder.stat().st_mode) & 0o666


def timestamp() -> str:
    """The name of a trash folder: now, to the microsecond."""
    return datetime.now().strftime("%Y%m%dT%H%M%S%f")


def to_trash(root: Path, file: Path, stamp: str) -> Path:
    """Move `file` to the trash folder `stamp`, at its path under `root`; returns where it went."""
    target = root.resolve() / TRASH_DIR / stamp / file.resolve().relative_to(root.resolve())
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(file), str(target))
    return target


def copy_atomically(source: Path, target: Path) -> None:
    """Copy `source` to `target` whole or not at all."""
    handle, temp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)  # a dot: never ingested half-written
    os.close(handle)
    try:
        shutil.copyfile(source, temp)
        os.chmod(temp, file_mode(target.parent))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_text_atomically(target: Path, text: str) -> None:
    """Write `text` to `target` whole or not at all."""
    handle, temp = tempfile.mkstemp(prefix=".case-", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, file_mode(target.parent))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_case_file(path: Path) -> dict[str, Any]:
    """A case.toml as a table; one that cannot be read raises UploadError."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UploadError(f"{path.name} van deze casus is onleesbaar ({exc}); herstel het eerst") from exc


def update_case_file(path: Path, new_case: CaseForm | None, documents: list[tuple[str, str, str | None]]) -> None:
    """Write the new case's metadata and each (file, kind, title) of `documents` into a case.toml."""
    data: dict[str, Any] = read_case_file(path) if path.is_file() else {}
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
    write_text_atomically(path, render_case_toml(data))


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
