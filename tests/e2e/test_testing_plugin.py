"""The pytest plugin as an app meets it: tests/plugin_app is a suite of its own (its own
pytest.ini, without pytest-tornado), run in its own pytest process, using nothing of EZChat's
but the installed plugin's ezchat_server fixture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "plugin_app"


def test_an_apps_suite_passes_with_only_the_plugin():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "."],
        cwd=APP, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout, run.stdout
