"""Claim expressions: how a login method turns a directory entry or an ID token into a user field
(``email | {{ .uid }}@example.com``); docs/authentication.md describes the syntax."""

from semaphore.claim_expressions import PLACEHOLDER, claim, evaluate, random_value

__all__ = ["PLACEHOLDER", "claim", "evaluate", "random_value"]
