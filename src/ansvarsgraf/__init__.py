"""Ansvarsgraf: a knowledge graph answering who is responsible for what, with legal basis."""

import os

# OpenBLAS (numpy's linear algebra) on one thread, set before numpy is first imported. A
# server forks a child for every public SPARQL query (sparql_endpoint.py), and a fork while
# OpenBLAS's own threads are busy (the question model being trained in the background on a
# fresh cache, question_model.py) hangs in OpenBLAS's fork handler while holding the
# interpreter lock: the whole server stopped answering, its cached pages included
# (tests/test_faults.py caught it in CI; tests/test_fork_safety.py reproduces it). The
# products that use BLAS here are small; the e5 engine has its own threads (embedding.py).
# An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
