"""Core tests use the fixtures of semaphore.testing (loaded through the pytest11 entry point)."""
