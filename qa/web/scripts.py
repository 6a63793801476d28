"""The page's own scripts: what a click on a source card or a document button does, and scrolling a
shown document to its marked passage."""

from __future__ import annotations

# Clicks inside the source panel and the case view reach Python through gr.HTML's trigger().
OPEN_SOURCE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-open]');
  if (button) { trigger('click', {open: button.dataset.open}); }
});
const showQuotes = () => element.querySelectorAll('.bron-passage').forEach((passage) => {
  const mark = passage.querySelector('mark');
  if (mark) { passage.scrollTop = Math.max(0, mark.offsetTop - 24); }
});
watch('value', () => setTimeout(showQuotes, 50));
"""
OPEN_DOCUMENT_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-doc]');
  if (button) { trigger('click', {doc: button.dataset.doc, page: button.dataset.page || ''}); }
});
"""
SCROLL_TO_PASSAGE_JS = """
const show = () => {
  const hit = element.querySelector('.doc-hit');
  const view = element.querySelector('.doc-view');
  if (view) { view.scrollIntoView({block: 'start'}); }
  if (hit) { hit.scrollIntoView({block: 'center'}); }
};
watch('value', () => setTimeout(show, 50));
"""
