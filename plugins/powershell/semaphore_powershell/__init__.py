"""PowerShell scripts as Semaphore templates (app ``powershell``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* an executor for the template app ``powershell``: runs a script from the template's repository with
  ``pwsh``, the environment's variables and the template's arguments

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
