"""Output whole or not at all, and standard input as a file: what every command that writes uses.

- :func:`emit` writes a command's output to ``-o OUT`` through a temporary file renamed into
  place, or to standard output once it is complete: a command that fails half-way leaves no
  half-written file and prints nothing but its one-line error. JSON Lines (``--format jsonl``)
  is the exception, on purpose: each line is written as soon as its claim is settled, for
  consumers that stream; an error then stops it with the lines before it complete.
- :func:`input_file` gives a path for ``FILE``, reading standard input into a temporary file
  when ``FILE`` is ``-`` (its format from ``--input-format``); :func:`listed_names` reads an option's
  comma-separated names.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from medinsure.errors import MedinsureError
from medinsure.io.writers import write_settlements
from medinsure.settlement.result import Settlement

__all__ = [
    "INPUT_FORMATS",
    "emit",
    "input_file",
    "listed_names",
    "replace_atomically",
    "write_as_asked",
    "write_atomically",
    "write_whole",
]

#: What ``--input-format`` names, and the suffix the readers know it by.
INPUT_FORMATS = {"yaml": ".yaml", "json": ".json", "csv": ".csv", "parquet": ".parquet"}
_SPOOL = 16 * 1024 * 1024  # output held in memory up to this size, on disk beyond it


def write_as_asked(
    args: argparse.Namespace, settlements: Iterable[Settlement], handle: TextIO, progress: Callable[[int], object]
) -> int:
    """Write ``settlements`` in the ``--format`` of ``args``, with ``--national-fields`` and ids
    masked unless ``--show-ids``; the count."""
    return write_settlements(
        settlements,
        handle,
        format=args.format,
        national=args.national_fields,
        mask=not args.show_ids,
        progress=progress,
    )


def write_atomically(path: str | Path, write: Callable[[TextIO], object]) -> None:
    """Write ``path`` through a temporary file beside it, renamed into place once complete."""

    def text(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            write(handle)

    replace_atomically(path, text)


def replace_atomically(path: str | Path, write: Callable[[Path], object]) -> None:
    """Have ``write`` make a temporary file beside ``path`` (any format), then rename it into place."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_whole(out: TextIO, write: Callable[[TextIO], object]) -> None:
    """Write to ``out`` only once ``write`` has finished: an error leaves ``out`` untouched."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL, mode="w+", encoding="utf-8", newline="") as spool:
        write(spool)  # type: ignore[arg-type]
        spool.seek(0)
        shutil.copyfileobj(spool, out)


def emit(output: str | None, out: TextIO, write: Callable[[TextIO], object], *, stream: bool = False) -> None:
    """``write`` to the file ``output`` (atomically) or to ``out`` (whole, unless ``stream``)."""
    if output:
        write_atomically(output, write)
    elif stream:
        write(out)
    else:
        write_whole(out, write)


@contextmanager
def input_file(file: str, input_format: str | None) -> Iterator[Path]:
    """``file`` as a path; ``-`` is standard input, kept in a temporary file while in use."""
    if file != "-":
        if input_format is not None:
            raise MedinsureError(f"--input-format {input_format}: only for standard input (FILE -); {file} is named")
        yield Path(file)
        return
    suffix = INPUT_FORMATS[input_format or "yaml"]
    with tempfile.TemporaryDirectory(prefix="medinsure-stdin-") as folder:
        path = Path(folder) / f"standard-input{suffix}"
        with path.open("wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle)
        yield path


def listed_names(text: str | None) -> list[str]:
    """The names an option lists, comma-separated (``--allow a, b``): stripped, empty ones left out."""
    return [name.strip() for name in (text or "").split(",") if name.strip()]
