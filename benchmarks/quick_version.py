"""How answers from a quick version compare: the index the app serves first, on the guard encoder.

A quick version of the corpus alone is built into a folder of its own (`qa.index.build.build_quick_version`:
complete, on the guard encoder with its cosines put on the main encoder's scale, `indexing.guard_as_main`),
and `qa eval --as-indexed` scores it without bringing it up to date: the tuning sets (key fact, case cited,
citation integrity, off-topic and broad questions declined, what-worked quotes) and the held-out sets.
Compare with `qa eval` on the complete index.

    python -m benchmarks.quick_version [--workspace DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from qa.cli import main as qa_main
from qa.index.build import build_quick_version
from qa.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "eval"
HELD_OUT = [
    "--set",
    str(EVAL / "heldout-facts.jsonl"),
    "--offtopic",
    str(EVAL / "heldout-offtopic.jsonl"),
    "--broad",
    str(EVAL / "heldout-inscope.jsonl"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="keep the quick version here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-quick-") as tmp:
        index = args.workspace or Path(tmp) / "index"
        settings = load_settings(index=index)
        started = time.perf_counter()
        summary = build_quick_version(settings)
        print(f"quick version {summary.version}: {summary.chunks} passages in {time.perf_counter() - started:.1f} s")
        for extra in ([], HELD_OUT):
            code = qa_main(["eval", "--index", str(index), "--as-indexed", *extra])
            if code:
                return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
