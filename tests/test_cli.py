"""core.cli.run: one-line errors, and a finished multi-process run that leaves without native teardown but with
Python's exit handlers run and its output flushed."""

import os
import subprocess
import sys

from recipes.common.run_recipe import ROOT

SCRIPT = """
import atexit, sys
from core.cli import run
from core.errors import UserError
atexit.register(lambda: print("exit handler ran"))
def main(argv):
    print("trained", end="")  # unflushed on purpose
    if argv == ["bad"]:
        raise UserError("no such dataset")
run(main, sys.argv[1:])
print(" and returned")
"""


def _run(*args, world_size="2"):
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "WORLD_SIZE": world_size}, timeout=60)


def test_finished_multi_process_run_exits_0_after_exit_handlers_and_flushed_output():
    result = _run()
    assert result.returncode == 0 and result.stdout == "trainedexit handler ran\n", result


def test_single_process_run_returns_to_its_caller():
    assert _run(world_size="1").stdout == "trained and returned\nexit handler ran\n"


def test_user_error_is_one_line_and_exit_code_1():
    result = _run("bad")
    assert result.returncode == 1 and result.stderr.strip() == "error: no such dataset"
