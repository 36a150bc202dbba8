"""Imported once in mutmut's fork server (forkserver_warmup = "import", see mutation.py):
reads the bundled data before any mutant is active, so that each mutant's test run starts
from it instead of reading every data file again (5-10 s per mutant on a shared machine).

Only for modules that take no part in loading (preload = true in mutation-modules.toml):
a mutant in the loading code would otherwise never run. Calls with arguments (fixtures
beside the bundled data) still load."""

import functools

from ansvarsgraf import dataset

_original = dataset.load_data
_bundled = _original()


@functools.wraps(_original)
def load_data(*args, **kwargs):
    return _bundled if not args and not kwargs else _original(*args, **kwargs)


dataset.load_data = load_data
