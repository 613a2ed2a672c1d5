"""Remote runners: what the server and its runners share, and the runner's side
(`semaphore runner ...`).

* ``sealed``: the sealed box that carries job payloads, and the runner's X25519 key pair;
* ``client``: the runner protocol (``/api/internal/runners``) over HTTP(S), as the runner speaks it;
* ``backoff``: how long to wait before trying an away server again;
* ``registration``: registering a runner and keeping its token and private key;
* ``poller``: the loop of ``semaphore runner start``;
* ``job_runner``: a runner's side of a job, run with the engine's code; ``outbox``: its reports,
  kept until the server has them.
"""
