"""`paperboy ingest`: digest files into the archive with a progress display. A bar with
counts and rate on a terminal; each file's summary line as it is stored otherwise
(logs, pipes, CI), the lines a terminal gets at the end."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as Bar
from rich.text import Text

from bot.ingest import FileReport, Progress, ingest_paths
from bot.search import Catalog


async def ingest_files(
    catalog: Catalog, files: list[Path], out: TextIO | None = None
) -> list[FileReport]:
    """Ingest `files` (bot.ingest.ingest_paths), showing progress on `out`, and print
    each file's summary and problems; the reports, in name order."""
    out = out or sys.stdout
    terminal = out.isatty()
    with _display(out, len(files)) as progress:
        reports = await ingest_paths(catalog, files, progress=progress)
    if terminal:  # the bar is done: the summaries, in name order
        for report in reports:
            print(*report_lines(report), sep="\n", file=out)
    return reports


def report_lines(report: FileReport) -> list[str]:
    return [report.summary(), *(f"  problem: {problem}" for problem in report.problems)]


@contextmanager
def _display(out: TextIO, total: int) -> Iterator[Progress]:
    """A progress callback: a rich bar on a terminal, summary lines elsewhere."""
    if not out.isatty():

        def lines(reports: Sequence[FileReport]) -> None:
            for report in reports:
                print(*report_lines(report), sep="\n", file=out)

        yield lines
        return
    columns = (
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[papers]:,} new papers"),
        FilesPerSecond(),
        TimeElapsedColumn(),
    )
    # Redrawn four times a second from rich's thread: the storing (main) process only
    # updates counts, once a file or once a bulk batch.
    with Bar(*columns, console=Console(file=out), refresh_per_second=4) as bar:
        task = bar.add_task("ingest", total=total, papers=0)
        papers = 0

        def advance(reports: Sequence[FileReport]) -> None:
            nonlocal papers
            papers += sum(r.outcome.new_papers for r in reports if r.outcome is not None)
            bar.update(task, advance=len(reports), papers=papers)

        yield advance


class FilesPerSecond(ProgressColumn):
    """How many files a second the ingest stores, once it can tell."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} files/s" if speed else "", style="progress.data.speed")
