"""For login methods: the local user an external identity stands for, and the roles that directory
groups or identity-provider claims grant (docs/authentication.md describes what users see)."""

from semaphore.role_mapping_config import RoleMapping, parse_role_mappings
from semaphore.services.login import is_local_account, user_for_identity

__all__ = ["RoleMapping", "is_local_account", "parse_role_mappings", "user_for_identity"]
