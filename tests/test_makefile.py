"""`make run` stays quiet: pip prints nothing routine, and the demo accounts are followed only by
the address to open."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_every_pip_install_is_quiet():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        assert "--quiet" in line and "--disable-pip-version-check" in line, line


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_run_prints_the_address_right_after_the_demo_accounts():
    # -n: print the commands make would run, run none; -o: take the install as done
    # (run from `make test`, make would also say which directory it enters: not output of ours)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    out = subprocess.run(["make", "--no-print-directory", "-n", "run", "-o", ".venv/.installed"],
                         cwd=REPO, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    demo = next(i for i, line in enumerate(out) if re.search(r"flask --app wsgi demo$", line))
    assert "Open http://127.0.0.1:5000 in a browser" in out[demo + 1]
    assert re.search(r"flask --app wsgi run --host", out[demo + 2])
    assert len(out) == demo + 3  # nothing after the server


def test_the_load_test_is_left_out_of_make_test():
    """tests/load runs only under `make test-load`, which sets LMS_LOAD_TESTS=1."""
    from tests import conftest

    if os.environ.get("LMS_LOAD_TESTS") != "1":
        assert conftest.collect_ignore == ["load"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    target = makefile.split("\ntest-load:", 1)[1].split("\n\n", 1)[0]
    assert "LMS_LOAD_TESTS=1" in target and "tests/load" in target
    test_target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "LMS_LOAD_TESTS" not in test_target
