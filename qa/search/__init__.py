"""Search: what a question asks, and the hybrid ranking of passages over the current index version."""
