"""Reading documents in a worker process with a memory and a time limit, so that one document cannot
take the app (or `qa index`) down.

`ReadingWorker` starts ``python -m qa.ingest.readworker`` on its first document and reuses it for the next
ones. The worker imports the readers, then limits its own address space to what it holds plus
`Settings.max_read_memory_mb` (RLIMIT_AS), and reads one document per request with
`qa.ingest.reading.read_file`. The caller waits at most `Settings.max_read_seconds` for each answer. A
document over either limit, or whose reader makes the worker stop, is skipped with a reason naming
the limit (`UnreadableDocumentError`); the worker is then stopped and a fresh one serves the next
document. Requests and answers are JSON lines: what comes back from a worker that read hostile
content is data, never objects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from qa.errors import LimitExceededError, QaError, UnreadableDocumentError
from qa.ingest.readers import ReadResult
from qa.records import Block

if TYPE_CHECKING:
    from qa.settings import Settings

log = logging.getLogger(__name__)

MB = 1024 * 1024
#: How long a worker may take to start (import the readers) before it is given up on.
START_SECONDS = 120.0
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class ReadingWorkerError(QaError):
    """The reading worker could not be started at all."""


def time_limit_reason(seconds: float) -> str:
    return f"reading it took longer than the limit of {seconds:g} s (QA_MAX_READ_SECONDS)"


def memory_limit_reason(megabytes: float) -> str:
    return f"reading it needed more memory than the limit of {megabytes:g} MB (QA_MAX_READ_MEMORY_MB)"


def crash_reason(returncode: int | None, megabytes: float) -> str:
    if returncode is not None and returncode < 0:
        try:
            how = f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"killed by signal {-returncode}"
    else:
        how = f"exit code {returncode}"
    return (
        f"its reader stopped while reading it ({how}); a document it cannot read within "
        f"{megabytes:g} MB (QA_MAX_READ_MEMORY_MB) does this"
    )


class ReadingWorker:
    """One reading worker process, started on first use and restarted after a document that failed it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def __enter__(self) -> ReadingWorker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker's process id, None before the first document or after a failure."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the worker now (it is otherwise started on the first document); returns once it is ready."""
        if self._process is not None:
            return
        path = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}  # this very package, whatever the working folder
        process = subprocess.Popen(
            [sys.executable, "-m", "qa.ingest.readworker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._process, self._buffer = process, b""
        self._send({"settings": self.settings.model_dump(mode="json")})
        reply = self._receive(time.monotonic() + START_SECONDS)
        if reply is None or not reply.get("ready"):
            returncode = self._stop()
            raise ReadingWorkerError(
                f"the reading worker ({sys.executable} -m qa.ingest.readworker) did not start (exit code {returncode})"
            )

    def read(self, path: Path, display: str) -> ReadResult:
        """Read one file as `qa.ingest.reading.read_file` does, in the worker; raises UnreadableDocumentError."""
        self.start()
        self._send({"path": str(path), "display": display})
        deadline = time.monotonic() + self.settings.max_read_seconds
        reply = self._receive(deadline)
        if reply is None:
            timed_out = time.monotonic() >= deadline
            returncode = self._stop()
            reason = (
                time_limit_reason(self.settings.max_read_seconds)
                if timed_out
                else crash_reason(returncode, self.settings.max_read_memory_mb)
            )
            log.warning("skipping %s: %s", display, reason)
            if timed_out:
                limit = self.settings.max_read_seconds
                raise LimitExceededError(display, reason, "QA_MAX_READ_SECONDS", limit, limit)
            raise UnreadableDocumentError(display, reason)
        if reply.get("memory"):
            self._stop()  # its heap may be left in pieces: the next document gets a fresh worker
            limit = self.settings.max_read_memory_mb
            reason = memory_limit_reason(limit)
            log.warning("skipping %s: %s", display, reason)
            raise LimitExceededError(display, reason, "QA_MAX_READ_MEMORY_MB", limit, limit)
        if "limit" in reply:
            setting, found, limit = reply["limit"]
            raise LimitExceededError(display, str(reply["error"]), str(setting), float(found), float(limit))
        if "error" in reply:
            raise UnreadableDocumentError(display, str(reply["error"]))
        blocks = [Block(**block) for block in reply["blocks"]]
        return ReadResult(blocks=blocks, pages=reply["pages"], warnings=list(reply["warnings"]))

    def close(self) -> None:
        """Stop the worker (it also stops by itself when this process goes away)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker is gone: _receive finds out and says so

    def _receive(self, deadline: float) -> dict[str, Any] | None:
        """The worker's next answer, or None when it stopped or the deadline passed first."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 1 << 20)
            if not data:
                return None
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _stop(self) -> int | None:
        """Kill the worker (after a failure); its exit code, negative for a signal."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        returncode = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return returncode


# ---------------------------------------------------------------------------- the worker's side


def _caused_by_memory(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _address_space() -> int:
    """This process's address space in bytes (VmSize)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * resource.getpagesize()


def _answer(path: Path, display: str, settings: Settings) -> dict[str, Any]:
    from qa.ingest.reading import read_file

    try:
        result = read_file(path, display, settings)
        return {
            "blocks": [
                {
                    "text": b.text,
                    "page": b.page,
                    "section": b.section,
                    "is_heading": b.is_heading,
                    "next_page_at": b.next_page_at,
                }
                for b in result.blocks
            ],
            "pages": result.pages,
            "warnings": result.warnings,
        }
    except LimitExceededError as exc:
        return {"error": exc.reason, "limit": [exc.setting, exc.found, exc.limit]}
    except UnreadableDocumentError as exc:
        if _caused_by_memory(exc):
            return {"memory": True}
        return {"error": exc.reason}
    except MemoryError:
        return {"memory": True}
    except Exception as exc:  # one bad file never stops the rest
        return {"error": f"unreadable ({type(exc).__name__}: {exc})"}


def _write(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
    out.flush()


def main() -> None:
    """The worker: settings on the first line, then one request per line, one answer per line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it then closes our input
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to standard error, never into the answers
    requests = sys.stdin.buffer
    import docx  # noqa: F401  (the readers' libraries, imported before the limit is set)
    import pypdf  # noqa: F401

    from qa.ingest.reading import read_file  # noqa: F401
    from qa.settings import Settings

    first = requests.readline()
    if not first:
        return
    settings = Settings(**json.loads(first)["settings"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = _address_space() + int(settings.max_read_memory_mb * MB)
    resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))
    _write(out, {"ready": True})
    for line in requests:
        request = json.loads(line)
        try:
            answer = _answer(Path(request["path"]), request["display"], settings)
            _write(out, answer)
        except MemoryError:
            _write(out, {"memory": True})


if __name__ == "__main__":
    main()
