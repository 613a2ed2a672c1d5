"""Ansible playbooks as Semaphore templates (app ``ansible``).

Not functional yet: this package implements no hook. It exists so that the distribution, its entry
point and its tests are in place; a later release adds:

* an executor for the template app ``ansible``: runs ``ansible-playbook`` with the template's
  inventory, extra variables, limit, tags and skip-tags, vault passwords and SSH/become keys from
  the key store
* workspace preparation: installs ``roles/requirements.yml`` and ``collections/requirements.yml``
  with ``ansible-galaxy`` when they change
* the Ansible version line shown by ``GET /api/info``

Importing this package must stay cheap: heavy libraries are imported inside the methods that use
them, never at module level (the smoke test checks this).
"""
