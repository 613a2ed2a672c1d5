"""Users, login sessions, API tokens and failed-login records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from semaphore.db.models.base import Base
from semaphore.db.types import UTCDateTime, utcnow


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password: Mapped[str | None] = mapped_column(String(255), nullable=True)  # bcrypt hash
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    external: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    alert: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Session(Base):
    """A login session; the cookie carries its signed id."""

    __tablename__ = "session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(Text, default="")
    expired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # False until the second factor is given: a login of a TOTP-enrolled user starts unverified.
    verified: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class UserTotp(Base):
    """A user's TOTP enrolment: pending until confirmed with a first code."""

    __tablename__ = "user__totp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret: Mapped[str] = mapped_column(Text)  # base32 secret, encrypted with the key store's key
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # of the last accepted code
    recovery_hashes: Mapped[str] = mapped_column(Text, default="")  # SHA-256 hex of unused codes, space-separated


class APIToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "user__token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expired: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class LoginFailure(Base):
    """One failed login, kept briefly for rate limiting across server processes."""

    __tablename__ = "user__login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(255), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
