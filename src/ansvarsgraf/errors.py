"""Errors in data files, always located: file, line and what to do."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataError:
    """One problem in one data file, at one line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class DataLoadError(Exception):
    """Raised when any data file is broken; nothing is loaded then, not even the good files."""

    def __init__(self, errors: list[DataError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class StoreUnavailable(RuntimeError):
    """The graph's store cannot answer now (down, too slow, or all its connections busy).

    The message is for users, in Swedish, and names no internal address; what went wrong in
    detail is logged. The web answers 503 with Retry-After (web/unavailable.py)."""

    def __init__(self, message: str = "Grafens lager svarar inte just nu. Försök igen om en stund.", retry_after_s: float = 5):
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s
