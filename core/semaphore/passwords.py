"""Password hashing (bcrypt, cost 11 as the original)."""

from __future__ import annotations

import bcrypt

from semaphore.errors import ValidationError

MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer passwords are refused rather than silently cut
DEFAULT_MIN_LENGTH = 8  # the password_min_length setting's default


def validate_password(password: str, min_length: int = DEFAULT_MIN_LENGTH, field: str = "password") -> None:
    """A new password's length: at least ``min_length`` characters, at most what bcrypt reads."""
    if not password:
        raise ValidationError("must not be empty", field=field)
    if len(password) < min_length:
        raise ValidationError(f"must be at least {min_length} characters long", field=field)
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValidationError(f"must be at most {MAX_PASSWORD_BYTES} bytes", field=field)


def hash_password(password: str) -> str:
    validate_password(password, min_length=1)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=11)).decode()


def check_password(password: str, hashed: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, hashed.encode())
    except ValueError:
        return False
