"""HTML and Markdown for the web app, built from the service's records. Pure: no Gradio, no I/O.

One module per part of the page: `answers` (the chat), `sources` (the cards beside it),
`documents` (a document opened at a passage), `cases` (the Casussen tab), `status` (indexing and
Beheer), and the words they share in `labels`.

Everything that comes from a document (passages, quotes, titles, file names) and everything a
user typed is escaped with `html.escape` before it is put into markup: text from documents is
shown as text, never run as HTML or script.
"""
