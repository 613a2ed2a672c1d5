"""Terraform and OpenTofu as Semaphore templates (apps ``terraform``, ``tofu``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* executors for the template apps ``terraform`` and ``tofu``: ``init``, workspace selection,
  ``plan``, confirmation of the plan in the UI/API, then ``apply`` (or ``destroy``)
* variables and secrets from the environment passed as ``TF_VAR_*``

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
