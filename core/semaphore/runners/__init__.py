"""What the server and its remote runners share: the sealed box that carries job payloads (see
:mod:`semaphore.runners.sealed`)."""
