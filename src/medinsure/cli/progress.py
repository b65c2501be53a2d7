"""A progress bar for the commands that work through many claims."""

from __future__ import annotations

from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """A progress bar on the terminal's standard error, with the rate and the time left (tqdm);
    silent when standard error is not a terminal.

    Call it with the number of claims done so far; ``close()`` clears the bar.
    """

    def __init__(self, err: TextIO, total: int | None = None, *, unit: str = "claims", interval: float = 0.2) -> None:
        from tqdm import tqdm

        self.active = err.isatty()
        self.count = 0
        self.bar = tqdm(
            total=total,
            file=err,
            unit=f" {unit}",
            miniters=1,
            disable=not self.active,
            leave=False,
            dynamic_ncols=True,
            mininterval=interval,
            smoothing=0.1,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt}{unit} [{elapsed}<{remaining}, {rate_fmt}]"
            if total
            else "{n_fmt}{unit} [{elapsed}, {rate_fmt}]",
        )

    def __call__(self, count: int) -> None:
        if self.active and count > self.count:
            self.bar.update(count - self.count)
            self.count = count

    def close(self) -> None:
        self.bar.close()
