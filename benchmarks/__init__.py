"""Performance benchmarks of the index and the search, run with `python -m benchmarks.run`.

Each benchmark is a module with `run(context) -> Section`; everything is written in a temporary
folder, never in the project's own index/.
"""
