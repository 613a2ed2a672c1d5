"""Remote runners: machines that run tasks for a server (`semaphore runner ...`).

* ``keys``: the runner's X25519 key pair, as PEM, and its private key file;
* ``client``: the runner protocol (``/api/internal/runners``) over HTTP(S), as the runner speaks it;
* ``backoff``: how long to wait before trying an away server again;
* ``registration``: registering a runner and keeping its token and key;
* ``poller``: the loop of ``semaphore runner start``.
"""
