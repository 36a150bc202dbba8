"""A test that hangs fails (pytest-timeout) instead of hanging the run, here and in CI."""

import subprocess
import sys
import textwrap


def test_every_test_has_a_time_limit(request):
    assert request.config.pluginmanager.hasplugin("timeout"), "pytest-timeout saknas"
    limit = float(request.config.getini("timeout"))
    assert 0 < limit <= 300  # a default, not a way to switch the limit off


def test_a_hanging_test_fails_with_a_timeout(tmp_path):
    (tmp_path / "test_hangs.py").write_text(textwrap.dedent("""
        import time

        def test_hangs():
            time.sleep(600)
    """), encoding="utf-8")
    # The installed plugin, with the limit lowered so that this check takes seconds.
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "timeout=2",
                          str(tmp_path / "test_hangs.py")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "Timeout" in run.stdout and "1 failed" in run.stdout, run.stdout[-2000:]
