"""What keeps a slow or dead SPARQL server from taking the API down with it.

- A circuit breaker: after FAILURES_TO_OPEN calls in a row have failed (no connection, a
  timeout, a 5xx), every call fails at once with StoreUnavailable instead of waiting for the
  server again; a background thread asks the server a trivial question every PROBE_S seconds
  and closes the breaker as soon as it answers.
- A bounded pool: at most ANSVARSGRAF_STORE_CONNECTIONS calls are in flight to the server; a
  call that cannot get a slot within QUEUE_WAIT_S fails with StoreUnavailable, so requests
  that need the server cannot take every worker thread and leave none for those that do not
  (the catalog, cached and prepared answers, static pages).
"""

import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Callable

from .errors import StoreUnavailable

log = logging.getLogger("ansvarsgraf.store")

FAILURES_TO_OPEN = 3
PROBE_S = 1.0
QUEUE_WAIT_S = 1.0
CONNECTIONS_ENV = "ANSVARSGRAF_STORE_CONNECTIONS"


class StoreGuard:
    def __init__(self, probe: Callable[[], None], name: str = "SPARQL-servern"):
        self._probe = probe
        self._name = name
        self._lock = threading.Lock()
        self._failures = 0
        self._open_since: float | None = None
        self._prober: threading.Thread | None = None
        self._slots = threading.BoundedSemaphore(int(os.environ.get(CONNECTIONS_ENV, "8")))

    @property
    def is_open(self) -> bool:
        return self._open_since is not None

    def retry_after_s(self) -> int:
        return max(1, int(PROBE_S * 2))

    @contextmanager
    def call(self):
        """One call to the server: refused at once while the breaker is open or the pool is
        full; a failure (raise StoreUnavailable from the body) counts towards opening it."""
        if self._open_since is not None:
            raise StoreUnavailable(retry_after_s=self.retry_after_s())
        if not self._slots.acquire(timeout=QUEUE_WAIT_S):
            raise StoreUnavailable("Grafens lager är upptaget just nu. Försök igen om en stund.", retry_after_s=1)
        try:
            yield
        except StoreUnavailable:
            self.failed()
            raise
        else:
            self.succeeded()
        finally:
            self._slots.release()

    def succeeded(self) -> None:
        self._failures = 0

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._failures < FAILURES_TO_OPEN or self._open_since is not None:
                return
            self._open_since = time.monotonic()
            log.warning("%s svarar inte (%d fel i rad); frågor avvisas med 503 tills den svarar igen", self._name, self._failures)
            self._prober = threading.Thread(target=self._probe_until_back, name="lagerprov", daemon=True)
            self._prober.start()

    def _probe_until_back(self) -> None:
        while True:
            time.sleep(PROBE_S)
            try:
                self._probe()
            except StoreUnavailable:
                continue
            except Exception:  # the server answers, if not this question: it is back
                pass
            with self._lock:
                down = time.monotonic() - (self._open_since or time.monotonic())
                self._open_since, self._failures = None, 0
            log.warning("%s svarar igen (efter %.1f s)", self._name, down)
            return
