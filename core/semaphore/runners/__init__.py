"""Remote runners: the sealed box that carries job payloads (:mod:`semaphore.runners.sealed`), and
a runner's side of a job (:mod:`semaphore.runners.job_runner`, which runs it with the engine's
code, and :mod:`semaphore.runners.outbox`, which keeps its reports until the server has them)."""
