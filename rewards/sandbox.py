"""Symbolic verification (math-verify) with a hard wall-clock budget per completion.

math-verify's own timeouts use SIGALRM: they are off outside the main thread (where TRL's reward runs when called
from a worker thread) and sympy's big-integer arithmetic ignores signals anyway, so `\\boxed{9^{9^{9^{9}}}}` can
run for minutes. Here each check runs in a pool process; one that overruns its budget is killed and replaced,
which holds in any thread and against any work.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from multiprocessing.connection import wait

TIMEOUT = "timeout"


class VerifierPool:
    def __init__(self, workers: int | None = None):
        self.size = workers or max(1, min(4, os.cpu_count() or 1))
        # fork, as torch's DataLoader workers do: a worker starts in milliseconds and imports nothing again
        # (forkserver/spawn would re-import the caller's __main__, e.g. a whole training script).
        self._ctx = mp.get_context("fork")
        self._workers: list = []
        self._lock = threading.Lock()

    def _spawn(self):
        from rewards._worker import serve

        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve, args=(child,), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def _replace(self, i: int) -> None:
        proc, conn = self._workers[i]
        proc.kill()
        proc.join(timeout=1)
        conn.close()
        self._workers[i] = self._spawn()

    def verify(self, pairs: list[tuple[str, str]], budget_s: float) -> list:
        """For each (prediction, gold): True/False, None if the gold does not parse, or TIMEOUT."""
        if not pairs:
            return []
        with self._lock:
            while len(self._workers) < min(self.size, len(pairs)):
                self._workers.append(self._spawn())
            results: list = [TIMEOUT] * len(pairs)
            todo = list(range(len(pairs)))[::-1]
            busy: dict[int, tuple[int, float]] = {}  # worker index -> (pair index, deadline)
            while todo or busy:
                for w in range(len(self._workers)):
                    if w not in busy and todo:
                        k = todo.pop()
                        try:
                            self._workers[w][1].send(pairs[k])
                        except (BrokenPipeError, OSError):  # died while idle: replace it and retry the pair
                            self._replace(w)
                            self._workers[w][1].send(pairs[k])
                        busy[w] = (k, time.monotonic() + budget_s)
                soonest = min(deadline for _, deadline in busy.values())
                ready = wait([self._workers[w][1] for w in busy], timeout=max(0.0, soonest - time.monotonic()))
                for w in list(busy):
                    k, deadline = busy[w]
                    conn = self._workers[w][1]
                    if conn in ready:
                        try:
                            results[k] = conn.recv()
                        except (EOFError, OSError):  # the worker died (e.g. out of memory): score as a failure
                            results[k] = False
                            self._replace(w)
                        del busy[w]
                    elif time.monotonic() >= deadline:
                        results[k] = TIMEOUT
                        self._replace(w)
                        del busy[w]
            return results

    def close(self) -> None:
        for proc, conn in self._workers:
            proc.kill()
            conn.close()
        self._workers = []


_POOL: VerifierPool | None = None


def pool() -> VerifierPool:
    global _POOL
    if _POOL is None:
        _POOL = VerifierPool()
    return _POOL
