"""`qa cases`: the cases of the study, or with --matrix the cases against its overarching factors."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from qa.settings import Settings

if TYPE_CHECKING:
    from qa.answer.matrix import FactorMatrix


def run_cases(settings: Settings, args: argparse.Namespace) -> int:
    from qa.service import Vraagbaak

    service = Vraagbaak(settings)
    if not args.matrix:
        cases = service.cases()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "case_id": c.case_id,
                            "title": c.title,
                            "municipality": c.municipality,
                            "year": c.year,
                            "themes": list(c.themes),
                        }
                        for c in cases
                    ],
                    ensure_ascii=False,
                )
            )
        for case in [] if args.json else cases:
            print(f"{case.case_id}\t{case.title}\t{case.municipality or ''}\t{case.year or ''}")
        return 0
    matrices = [service.matrix("positive"), service.matrix("negative")]
    if args.json:
        print(json.dumps([m.as_json() for m in matrices], ensure_ascii=False))
        return 0
    for matrix in matrices:
        print(format_matrix(matrix))
        print()
    return 0


def format_matrix(matrix: FactorMatrix) -> str:
    """The matrix as plain text: a row per case, a column per factor (numbered as in the study), each
    cell the number of passages that support it."""
    what = "succesfactoren" if matrix.intent == "positive" else "aandachtspunten"
    if not matrix.factors:
        return f"{what}: the study has no section of overarching factors in the index"
    lines = [f"Cases x {matrix.family.lower()} ({what} of each case that support the factor, in passages):"]
    lines += [f"  F{i + 1} = {name}" for i, name in enumerate(matrix.factors)]
    width = max(len(c.title) for c in matrix.cases) if matrix.cases else 10
    lines.append(f"{'':<{width}} " + " ".join(f"{f'F{i + 1}':>4}" for i in range(len(matrix.factors))))
    for case in matrix.cases:
        cells = " ".join(f"{len(matrix.cell(case.case_id, i)) or '.':>4}" for i in range(len(matrix.factors)))
        lines.append(f"{case.title:<{width}} {cells}")
    return "\n".join(lines)
