"""How a long command shows its progress on standard error: a bar per stage on a terminal, a line per
stage in a log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar, TextIO


def tqdm_progress(enabled: bool) -> Callable[[str, int, int], None] | None:
    """A tqdm bar per stage on a terminal (see `StageLines` for a log)."""
    if not enabled:
        return None
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    labels = {
        "quick": "snelle eerste versie",
        "read": "lezen",
        "embed": "embedden",
        "first": "eerste versie",
        "sentences": "zinnen",
        "index": "index",
    }

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


class StageLines:
    """Progress for a log: one line per stage on `stream` once it is over, with its counts, time and
    rate ("embed: 4,250 of 4,250 texts in 212.4 s (20.0/s)"). A stage reported in more than one run
    (passages, then sentences as questions) is one line with the counts added up."""

    UNITS: ClassVar[dict[str, str]] = {"read": "documents", "embed": "texts", "sentences": "texts"}

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.perf_counter) -> None:
        self.stream = stream
        self.clock = clock
        self.stage: str | None = None
        self.started = clock()
        self.finished_runs = (0, 0)  # done and total of the stage's earlier runs
        self.last = (0, 0)  # done and total of its current run

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.finish()  # a stage starts where the one before ended: the first one at the start
            self.stage = stage
        elif done < self.last[0]:  # the same stage again: a new run
            self.finished_runs = (self.finished_runs[0] + self.last[0], self.finished_runs[1] + self.last[1])
        self.last = (done, total)

    def finish(self) -> None:
        """Write the line of the stage in progress, if any."""
        if self.stage is None:
            return
        seconds = self.clock() - self.started
        done, total = self.finished_runs[0] + self.last[0], self.finished_runs[1] + self.last[1]
        if self.stage == "quick":
            line = f"quick: a version on the guard encoder answers questions, made in {seconds:.1f} s"
        elif self.stage in self.UNITS:
            rate = f"{done / seconds:,.1f}/s" if seconds > 0 else "-"
            line = f"{self.stage}: {done:,} of {total:,} {self.UNITS[self.stage]} in {seconds:.1f} s ({rate})"
        else:
            line = f"{self.stage}: written in {seconds:.1f} s"
        print(line, file=self.stream, flush=True)
        self.stage, self.finished_runs, self.last = None, (0, 0), (0, 0)
        self.started = self.clock()
