"""The web app (Gradio): layout, handlers, rendering and serving. It calls `qa.service` only."""
