"""Task alerts to Slack (channel ``slack``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* a notifier for the channel ``slack``: posts an attachment message (template, task number, status,
  author, version, link) to an incoming-webhook URL when a task of a project with alerts turned on
  finishes
* configuration as in the original Semaphore: ``slack_alert`` / ``SEMAPHORE_SLACK_ALERT`` and
  ``slack_url`` / ``SEMAPHORE_SLACK_URL``

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
