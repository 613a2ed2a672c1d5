"""Generators of the reference pages in docs/ (run as ``python -m semaphore.docgen.<page>``);
tests compare their output with the committed pages so the docs cannot drift from the code."""
