"""Beheer: documents added to a new or existing case, a re-index started, a document moved to the bin."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from qa.ingest.readers.archive import ZipLimits
from qa.ingest.readworker import ReadingWorker
from qa.web import uploads
from qa.web.handlers.guard import BadRequest, guarded, message
from qa.web.handlers.indexing import REINDEX_LABELS, IndexHandlers, ReindexProgress
from qa.web.render.status import index_summary_html, notice_html

log = logging.getLogger(__name__)

UPLOAD_ROWS = 5
DEFAULT_KINDS = ("documentanalyse", "interview-ambtenaar", "interview-bewoner", "overig", "overig")


class AdminHandlers(IndexHandlers):
    """Beheer's actions; each checks first that the user is an admin."""

    def admin_choices(self) -> tuple[Any, Any]:
        corpus = self.service.settings.corpus
        return (
            gr.update(choices=uploads.case_choices(corpus)),
            gr.update(choices=uploads.removable_documents(corpus), value=None),
        )

    @guarded
    def upload(
        self,
        request: gr.Request,
        mode: str,
        existing_case: str | None,
        title: str,
        municipality: str,
        year: float | None,
        themes: str,
        *rows: Any,
    ) -> tuple[Any, ...]:
        """rows: UPLOAD_ROWS file paths, then as many kinds, then as many document titles. Returns the
        status, the two admin choices, and the form: emptied once the files are in, kept as it was
        when they were refused (the status then says why, in place of an earlier success)."""
        self.require_admin(request)
        try:
            notice = self._add_uploads(request, mode, existing_case, title, municipality, year, themes, *rows)
        except (BadRequest, uploads.UploadError) as exc:
            log.warning("upload refused: %s", exc)
            return (notice_html(str(exc), ok=False), *self.admin_choices(), *self._form(keep=True))
        except Exception:
            log.exception("upload failed")
            return (notice_html(message("generic"), ok=False), *self.admin_choices(), *self._form(keep=True))
        return (notice_html(notice), *self.admin_choices(), *self._form(keep=False))

    @staticmethod
    def _form(keep: bool) -> tuple[Any, ...]:
        """The upload form's fields (title, municipality, year, themes, then per row its file, kind and
        document title): unchanged, or emptied for the next case."""
        fields = 4 + 3 * UPLOAD_ROWS
        if keep:
            return tuple(gr.update() for _ in range(fields))
        return (
            "",
            "",
            None,
            "",
            *(None for _ in range(UPLOAD_ROWS)),
            *DEFAULT_KINDS[:UPLOAD_ROWS],
            *("" for _ in range(UPLOAD_ROWS)),
        )

    def _add_uploads(
        self,
        request: gr.Request,
        mode: str,
        existing_case: str | None,
        title: str,
        municipality: str,
        year: float | None,
        themes: str,
        *rows: Any,
    ) -> str:
        admin = self.require_admin(request)
        files, kinds, titles = rows[:UPLOAD_ROWS], rows[UPLOAD_ROWS : 2 * UPLOAD_ROWS], rows[2 * UPLOAD_ROWS :]
        chosen = []
        for file, kind, doc_title in zip(files, kinds, titles, strict=False):
            if not file:
                continue
            path = Path(str(file))
            chosen.append(uploads.Upload(path.name, path, kind or "overig", (doc_title or "").strip() or None))
        settings = self.service.settings
        zip_limits = ZipLimits.from_settings(settings)
        if mode == "nieuw":
            form = uploads.CaseForm(
                title=title or "",
                municipality=(municipality or "").strip() or None,
                year=int(year) if year else None,
                themes=tuple(t.strip() for t in (themes or "").split(",") if t.strip()),
            )
            with ReadingWorker(settings) as reader:  # each file read as ingestion will, within its limits
                added = uploads.add_documents(
                    settings.corpus, chosen, settings.max_file_bytes, zip_limits, new_case=form, reader=reader
                )
        else:
            if not existing_case:
                raise BadRequest("Kies een bestaande casus.")
            with ReadingWorker(settings) as reader:
                added = uploads.add_documents(
                    settings.corpus, chosen, settings.max_file_bytes, zip_limits, case_id=existing_case, reader=reader
                )
        log.info("%s uploaded %s into %s", admin, ", ".join(added.files), added.case_id)
        replaced = f" Eerdere versies staan in de prullenbak: {', '.join(added.replaced)}." if added.replaced else ""
        return (
            f"{len(added.files)} bestand(en) toegevoegd aan casus ‘{added.case_id}’: {', '.join(added.files)}."
            f"{replaced} Klik op ‘Herindexeren’ om ze doorzoekbaar te maken."
        )

    @guarded
    def reindex(self, request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        admin = self.require_admin(request)
        bar = ReindexProgress()

        def report(stage: str, done: int, total: int) -> None:
            fraction, label = bar.update(stage, done, total)
            progress(fraction, desc=label)

        progress(0.0, desc=REINDEX_LABELS["scan"])
        log.info("%s started a re-index", admin)
        summary = self.service.reindex(progress=report)
        return (
            index_summary_html(summary),
            self.status_html(),
            self._serving_version(),
            *self.filter_choices(),
            *self.case_views(),
            *self.admin_choices(),
        )

    @guarded
    def remove(self, document: str | None, request: gr.Request) -> tuple[Any, ...]:
        admin = self.require_admin(request)
        if not document:
            raise BadRequest("Kies een document om te verwijderen.")
        moved = uploads.remove_document(self.service.settings.corpus, document)
        log.info("%s moved %s to %s", admin, document, moved)
        where = moved.relative_to(self.service.settings.corpus.resolve()).as_posix()
        message = f"{document} is verplaatst naar {where}. De volgende herindexering laat het weg."
        return (notice_html(message), *self.admin_choices())
