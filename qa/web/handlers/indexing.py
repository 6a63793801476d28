"""Where indexing stands, on the line above the chat and on the bar of a re-index, and the page kept in step."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import gradio as gr

from qa.errors import DiskFullError, IndexAccessError, IndexLockedError, IndexMismatchError, QaError
from qa.web.handlers.cases import CaseHandlers
from qa.web.render.labels import dutch_number
from qa.web.render.status import index_status_html

log = logging.getLogger(__name__)

INDEX_FAILED = {
    IndexLockedError: "Een ander proces werkt de index al bij; de vraagbaak antwoordt intussen met de huidige index.",
    IndexAccessError: "Indexeren mislukt: de server heeft geen toegang tot de indexmap (zie het logboek).",
    DiskFullError: "Indexeren mislukt: de schijf van de indexmap is vol; maak ruimte vrij (zie het logboek).",
    IndexMismatchError: "Indexeren mislukt: de index past niet bij de instellingen (zie het logboek).",
}


def index_failure_message(failure: type[BaseException] | None) -> str:
    """Why the latest index update failed, in a Dutch sentence for the page (the details are logged)."""
    for kind, message in INDEX_FAILED.items():
        if failure is not None and issubclass(failure, kind):
            return message
    return "Indexeren mislukt; de details staan in het logboek van de server."


# Where each stage of a re-index sits on the one bar (from, to): when nothing can be served yet, a quick
# version on the guard encoder is made first (all its steps reported as "quick"); the passages are embedded and a first
# version is written (answers from it), then the sentences are embedded and the complete version written.
# Embedding runs in passes (sentences as passages, then as questions): each pass takes half of what is left
# of its span. Without a first version, "embed" is every pass and the bar jumps to "index" after it.
REINDEX_SPANS = {
    "quick": (0.0, 0.05),
    "scan": (0.0, 0.02),
    "read": (0.02, 0.15),
    "embed": (0.15, 0.25),
    "first": (0.25, 0.27),
    "sentences": (0.27, 0.95),
    "index": (0.95, 1.0),
}
REINDEX_LABELS = {
    "quick": "Snelle eerste versie maken",
    "scan": "Corpus doorlopen",
    "read": "Documenten lezen",
    "embed": "Teksten inbedden",
    "first": "Eerste versie schrijven",
    "sentences": "Zinnen inbedden",
    "index": "Index schrijven",
}
_PASSES = ("embed", "sentences")  # stages that run in passes, each counted anew


class ReindexProgress:
    """One bar from 0 to 1 over a whole re-index, from the indexer's (stage, done, total) reports: it
    only ever rises, also when a stage starts a second pass with a count of its own; the label says
    the stage in Dutch with its counts."""

    def __init__(self) -> None:
        self.fraction = 0.0
        self._pass_from, self._pass_to = REINDEX_SPANS["scan"]
        self._stage = "scan"
        self._done = 0

    def update(self, stage: str, done: int, total: int) -> tuple[float, str]:
        start, end = REINDEX_SPANS.get(stage, (self.fraction, self.fraction))
        if stage != self._stage:
            self._pass_from, self._pass_to = max(start, self.fraction), end
            if stage in _PASSES:
                self._pass_to = self._pass_from + (end - self._pass_from) / 2
        elif stage in _PASSES and done < self._done:  # a new pass of the same stage
            self._pass_from = max(self._pass_to, self.fraction)
            self._pass_to = self._pass_from + (end - self._pass_from) / 2
        self._stage, self._done = stage, done
        share = done / total if total > 0 else 1.0
        self.fraction = max(self.fraction, min(1.0, self._pass_from + (self._pass_to - self._pass_from) * share))
        label = REINDEX_LABELS.get(stage, stage)
        if total > 1:
            label = f"{label}: {dutch_number(done)} van {dutch_number(total)}"
        return self.fraction, label


class IndexHandlers(CaseHandlers):
    """The status line, and the filters and case views filled anew once another index version is served."""

    def _serving_version(self) -> str | None:
        try:
            return self.service.serving_version()
        except QaError:
            log.warning("cannot tell which index version is served", exc_info=True)
            return None

    def status_html(self) -> str:
        status = self.service.index_status()
        if status.error is not None:
            status = replace(status, error=index_failure_message(status.failure))
        return index_status_html(status)

    def poll_index(self, known: str | None) -> tuple[Any, ...]:
        """Every tick of the page's timer: the indexing status, and once another index version is
        served than the page was filled from, its filters and case lists anew. `known` is that version.
        Returns the status, the version now known, the timer (stopped when nothing is left to watch),
        the three filters and the four case views."""
        version = self._serving_version()
        running = self.service.index_status().running
        if version == known:
            fresh: tuple[Any, ...] = tuple(gr.update() for _ in range(7))
        else:
            fresh = (*self.filter_choices(), *self.case_views())
        return (self.status_html(), version, gr.update(active=running), *fresh)
