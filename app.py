"""The web app: `python app.py [--corpus DIR] [--index DIR] [--host HOST] [--port PORT]`.

Without users (see `qa user add`) it runs in local mode on 127.0.0.1; with users it asks for a
login and only admins can manage the corpus.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Before Gradio or any model library is imported: nothing is fetched or reported at run time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py", description="Vraagbaak Burgerparticipatie: the web app")
    parser.add_argument("--corpus", type=Path, help="study folder (default: corpus, or QA_CORPUS)")
    parser.add_argument("--index", type=Path, help="index folder (default: index, or QA_INDEX)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1, or QA_HOST)")
    parser.add_argument("--port", type=int, help="port (default 7860, or QA_PORT)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        # which CPU build faiss loads, and every request Gradio's own client makes: details, not news
        for chatty in ("faiss.loader", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    from qa.errors import QaError
    from qa.settings import load_settings

    try:
        settings = load_settings(corpus=args.corpus, index=args.index, host=args.host, port=args.port)
        from qa.web.server import serve

        serve(settings)
    except QaError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
