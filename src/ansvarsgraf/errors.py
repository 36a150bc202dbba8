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
