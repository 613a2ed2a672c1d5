"""`python -m semaphore` runs the command line, as the `semaphore` console script does."""

from semaphore.cli import main

main()
