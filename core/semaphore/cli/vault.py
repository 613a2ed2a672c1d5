"""`semaphore vault` (alias `vaults`): the encryption of stored secrets."""

from __future__ import annotations

import click

from semaphore.cli.database import database_session
from semaphore.cli.root import state


@click.group("vault")
def vault_group() -> None:
    """Manage the encryption of stored secrets (alias: vaults)."""


@vault_group.command("rekey")
@click.option("--old-key", required=True, metavar="KEY",
              help="The access_key_encryption the secrets are encrypted with now (base64).")
def vault_rekey(old_key: str) -> None:
    """Re-encrypt every stored secret (key store and environment secrets) from --old-key to the
    configured access_key_encryption, in one transaction."""
    from semaphore.generated_secrets import ensure_secrets
    from semaphore.services.rekey import rekey_secrets

    config = state().config()
    ensure_secrets(config)
    with database_session() as db:
        result = rekey_secrets(db, old_key, config.access_key_encryption)
    message = f"{result.reencrypted} secret(s) re-encrypted with the configured access_key_encryption."
    if result.already_current:
        message += f" {result.already_current} already used it and were left as they are."
    click.echo(message)

