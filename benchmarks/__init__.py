"""paperboy's benchmark harness: `python -m benchmarks --sizes 10000,100000`.

Generates synthetic digest archives shaped like the seeds, builds databases through
the project's own ingest, times the functions the cogs and the publisher call, and
writes BENCHMARKS.md at the repository root. Not a test suite: pytest never collects
this package (tests live in tests/, the only testpath).
"""
