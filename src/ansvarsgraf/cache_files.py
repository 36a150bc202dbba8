"""Files in the cache folder (ANSVARSGRAF_CACHE): every process of every install on the machine
shares it (a server on yesterday's data, a test's fixture data, a second virtual environment),
so each kind of file keeps the few used last, not only its newest: a process that removed the
others' file made them build it again (the bundled data's question model was trained twice in
one test run; two installs took turns rebuilding the 43 MB e5 graph)."""

import os
from collections.abc import Iterable
from pathlib import Path


def used(path: Path) -> None:
    """Marks a file as used now: "used last" is its modification time (atime is often not kept)."""
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache still serves


def keep_recent(paths: Iterable[Path], keep: int, with_each=lambda path: ()) -> None:
    """Removes all but the keep files used last, each with its companions (with_each(path))."""
    def last_used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0  # removed meanwhile by another process
    for old in sorted(paths, key=last_used, reverse=True)[keep:]:
        for path in (old, *with_each(old)):
            path.unlink(missing_ok=True)
