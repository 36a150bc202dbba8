"""A process of ansvarsgraf may fork (every public SPARQL query runs in a child,
sparql_endpoint.py) while numpy multiplies matrices in another thread (the question model is
trained in the background when its cached weights are missing). With OpenBLAS's own threads
busy, such a fork hung for good while holding the interpreter lock, and a serving process
stopped answering even cached pages (seen in CI: test_faults' 60 s delay test timed out on
/api/kommuner; the server's threads showed a fork in progress beside a training step).
Importing ansvarsgraf first keeps OpenBLAS on one thread, and the same forks return at once."""

import os
import subprocess
import sys
import textwrap

FORKS_WHILE_MULTIPLYING = textwrap.dedent("""
    import ansvarsgraf  # first, as every entry point does
    import os, threading
    import numpy as np

    features = np.random.default_rng(1).random((2600, 4480), dtype=np.float32)
    done = False

    def train():
        while not done:
            features @ features.T  # the question model's Gram matrix, its size on today's data

    worker = threading.Thread(target=train)
    worker.start()
    for _ in range(20):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    done = True
    worker.join()
    print("ok")
""")


def test_forks_return_while_another_thread_multiplies_matrices():
    run = subprocess.run([sys.executable, "-c", FORKS_WHILE_MULTIPLYING], capture_output=True, text=True,
                         timeout=90, env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
