"""Symbolic verification (math-verify) with a hard budget per completion.

math-verify's own timeouts use SIGALRM: they are off outside the main thread (where TRL's reward runs when called
from a worker thread) and sympy's big-integer arithmetic ignores signals anyway, so `\\boxed{9^{9^{9^{9}}}}` can
run for minutes. Here each check runs in a pool process; one that overruns its budget is killed and replaced,
which holds in any thread and against any work. The budget is the check's own CPU time, and workers are warmed
before they take work, so a score does not depend on how busy the machine is or on the batch it came in.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from multiprocessing.connection import wait

TIMEOUT = "timeout"
_TICK_S = 0.02  # how often a running check's CPU time is read
_WALL_FACTOR = 10  # a check stalled without using CPU (swapped out, stopped) still ends
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
STARTUP_S = 60.0  # a worker's start-up (fork + warm-up) on a very busy machine; not part of any check's budget


class VerifierPool:
    def __init__(self, workers: int | None = None):
        self.size = workers or max(1, min(4, os.cpu_count() or 1))
        # fork, as torch's DataLoader workers do: a worker starts in milliseconds and imports nothing again
        # (forkserver/spawn would re-import the caller's __main__, e.g. a whole training script).
        self._ctx = mp.get_context("fork")
        self._workers: list = []
        self._lock = threading.Lock()
        self._warm = False

    def _spawn(self):
        from rewards._worker import serve, warm

        if not self._warm:  # warmed here once, every fork starts warm (and a replacement starts in milliseconds)
            warm()
            self._warm = True
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve, args=(child,), daemon=True)
        proc.start()
        child.close()
        # The budget covers a check, never a worker's start-up: wait until it says it is ready.
        if not parent.poll(STARTUP_S) or parent.recv() != "ready":
            proc.kill()
            raise RuntimeError(f"a math-verify worker did not start within {STARTUP_S:.0f} s")
        return proc, parent

    def _replace(self, i: int) -> None:
        proc, conn = self._workers[i]
        proc.kill()
        proc.join(timeout=1)
        conn.close()
        self._workers[i] = self._spawn()

    def verify(self, pairs: list[tuple[str, str]], budget_s: float) -> list:
        """For each (prediction, gold): True/False, None if the gold does not parse, or TIMEOUT once its check has
        used `budget_s` seconds of CPU time (or 10x that in wall-clock time): the same result on a busy machine."""
        if not pairs:
            return []
        with self._lock:
            while len(self._workers) < min(self.size, len(pairs)):
                self._workers.append(self._spawn())
            results: list = [TIMEOUT] * len(pairs)
            todo = list(range(len(pairs)))[::-1]
            busy: dict[int, tuple[int, float, float]] = {}  # worker index -> (pair index, CPU clock, wall clock)
            while todo or busy:
                for w in range(len(self._workers)):
                    if w not in busy and todo:
                        k = todo.pop()
                        try:
                            self._workers[w][1].send(pairs[k])
                        except (BrokenPipeError, OSError):  # died while idle: replace it and retry the pair
                            self._replace(w)
                            self._workers[w][1].send(pairs[k])
                        busy[w] = (k, _cpu_seconds(self._workers[w][0].pid), time.monotonic())
                wait([self._workers[w][1] for w in busy], timeout=min(_TICK_S, budget_s))
                for w in list(busy):
                    k, cpu0, wall0 = busy[w]
                    proc, conn = self._workers[w]
                    if conn.poll():
                        try:
                            results[k] = conn.recv()
                        except (EOFError, OSError):  # the worker died (e.g. out of memory): score as a failure
                            results[k] = False
                            self._replace(w)
                        del busy[w]
                    elif (_cpu_seconds(proc.pid) - cpu0 >= budget_s
                          or time.monotonic() - wall0 >= _WALL_FACTOR * budget_s):
                        results[k] = TIMEOUT
                        self._replace(w)
                        del busy[w]
            return results

    def close(self) -> None:
        for proc, conn in self._workers:
            proc.kill()
            proc.join(timeout=1)
            conn.close()
        self._workers = []


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, from /proc; wall-clock time where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return time.monotonic()


_POOL: VerifierPool | None = None


def pool() -> VerifierPool:
    global _POOL
    if _POOL is None:
        _POOL = VerifierPool()
    return _POOL
