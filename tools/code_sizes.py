"""Functions over 60 lines and modules over 400 lines in qa/ (the size targets of the style guide).

    python tools/code_sizes.py [--functions 60] [--modules 400]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "qa"


def long_functions(path: Path, limit: int) -> list[tuple[int, str]]:
    """(lines, qualified name) of each function in the file longer than `limit` lines."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if lines > limit:
                        found.append((lines, name))
                visit(child, f"{name}.")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=60)
    parser.add_argument("--modules", type=int, default=400)
    args = parser.parse_args()
    files = sorted(ROOT.rglob("*.py"))
    print(f"functions over {args.functions} lines:")
    for path in files:
        for lines, name in long_functions(path, args.functions):
            print(f"  {lines:4d}  {path.relative_to(ROOT.parent)}:{name}")
    print(f"modules over {args.modules} lines:")
    for path in files:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > args.modules:
            print(f"  {lines:4d}  {path.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    main()
