"""Practice data as streams of record chunks, whatever it came as.

A pull spools its files and hands them over unread (`StreamedPracticeData.sources`); a hand
import hands over its bytes the same way; the API hands over records. `chunk_sources` turns
each into a `Source`: chunks of records of one kind, in the order the service writes them
(patients, coverages, appointments, claims), with the problems the reader finds on the way.
Only one chunk of one file is ever held.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from gateway.core.records import PRACTICE_KINDS, PracticeData, PracticeKind, RowProblem
from gateway.practice.layout import CANONICAL, FileLayout
from gateway.practice.reader import CHUNK, read_chunks


@dataclass(frozen=True)
class FileSource:
    """One file of practice data still to be read: its local copy's path (a pull's spooled
    file, removed by `discard`) or its bytes (a hand import)."""

    kind: PracticeKind
    name: str
    layout: FileLayout
    path: str | None = None
    content: bytes | None = None


class StreamedPracticeData(PracticeData, kw_only=True):
    """`PracticeData` whose records are still in files (`sources`), read a chunk at a time
    by the service; the files' `PracticeFile`s are in `files` as always."""

    sources: list[Any] = []  # FileSource

    def discard(self) -> None:
        """Remove the spooled local copies."""
        for s in self.sources:
            if s.path is not None and os.path.exists(s.path):
                os.unlink(s.path)


@dataclass
class Source:
    """Chunks of records of one kind, and the reader's problems (filled while they are read)."""

    kind: PracticeKind
    name: str | None
    layout: FileLayout
    chunks: Iterator[list[Any]]
    problems: list[RowProblem] = field(default_factory=list)


def _in_chunks(records: list[Any], size: int) -> Iterator[list[Any]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


def chunk_sources(data: PracticeData, size: int = CHUNK) -> list[Source]:
    """The sources of `data` in writing order. Each file's header is read here, so a file
    that cannot be read at all raises `UserError` before anything is written."""
    names = {f.kind: f.name for f in data.files}
    files: list[FileSource] = list(getattr(data, "sources", []))
    out: list[Source] = []
    for kind in PRACTICE_KINDS:
        records = getattr(data, kind)
        if records:
            out.append(Source(kind, names.get(kind), CANONICAL.files[kind],
                              _in_chunks(records, size)))
        for f in (f for f in files if f.kind == kind):
            body = f.path if f.path is not None else f.content
            assert body is not None, "a FileSource holds a path or bytes"
            chunks, state = read_chunks(f.layout, f.name, body, size)
            out.append(Source(kind, f.name, f.layout, chunks, state.problems))
    return out
