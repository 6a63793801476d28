"""Users of the web app: names, roles and salted scrypt password hashes in one JSON file.

The file (``<index>/users.json`` unless `Settings.users_file` says otherwise) is written atomically
and readable by its owner only. Every change reads, changes and replaces it under an exclusive lock
(``users.json.lock`` beside it), so two `qa user` runs at once never lose each other's change.
Passwords are never stored: each user has a random salt and the scrypt hash of the password with
it, compared in constant time.

Each user also has a session stamp, a random value that changes whenever the password is set: a
running app ends every session opened before the change (and every session of a removed user).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from qa.errors import QaError

#: scrypt cost parameters (RFC 7914's interactive-login recommendation: 16 MiB, ~50 ms).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Role(StrEnum):
    READER = "reader"
    ADMIN = "admin"


class UserError(QaError):
    """A user cannot be added or the users file cannot be read."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str  # "scrypt$N$r$p$salt$key", base64 parts
    session: str = ""  # changes with the password; sessions opened under another stamp are ended


def new_session_stamp() -> str:
    return secrets.token_hex(8)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(key).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


class UserStore:
    """The users file. Reads it on every lookup, so a user added with the CLI counts at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def users(self) -> dict[str, User]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                name: User(name, Role(entry["role"]), entry["password_hash"], str(entry.get("session", "")))
                for name, entry in data.get("users", {}).items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(f"{self.path}: unreadable users file ({exc})") from exc

    def session_of(self, name: str) -> str | None:
        """The user's session stamp, or None when there is no such user (any more)."""
        user = self.users().get(name)
        return user.session if user else None

    def configured(self) -> bool:
        return bool(self.users())

    def role_of(self, name: str | None) -> Role | None:
        if not name:
            return None
        user = self.users().get(name)
        return user.role if user else None

    def verify(self, name: str, password: str) -> bool:
        user = self.users().get(name)
        if user is None:
            # Same work for unknown names, so timing does not tell which names exist.
            verify_password(password, _dummy_hash())
            return False
        return verify_password(password, user.password_hash)

    def add(self, name: str, role: Role | str, password: str) -> bool:
        """Add or replace a user; returns True when the user already existed (whose sessions then end)."""
        if not _NAME.match(name):
            raise UserError(f"invalid user name '{name}': use letters, digits, '.', '_', '@' or '-' (at most 64)")
        _check_password(password)
        try:
            role = Role(role)
        except ValueError as exc:
            raise UserError(f"unknown role '{role}' (use reader or admin)") from exc
        password_hash = hash_password(password)  # outside the lock: scrypt takes a while
        with self._locked():
            users = self.users()
            existed = name in users
            users[name] = User(name, role, password_hash, new_session_stamp())
            self._write(users)
        return existed

    def set_password(self, name: str, password: str) -> None:
        """Give an existing user a new password; the user's open sessions end."""
        _check_password(password)
        password_hash = hash_password(password)
        with self._locked():
            users = self.users()
            if name not in users:
                raise UserError(f"{self.path}: no user '{name}'")
            users[name] = User(name, users[name].role, password_hash, new_session_stamp())
            self._write(users)

    def remove(self, name: str) -> None:
        """Remove a user; the user's open sessions end."""
        with self._locked():
            users = self.users()
            if name not in users:
                raise UserError(f"{self.path}: no user '{name}'")
            del users[name]
            self._write(users)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the users file's lock (a file beside it; the OS drops it if the holder dies)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    def _write(self, users: dict[str, User]) -> None:
        payload = {
            "users": {
                u.name: {"role": u.role.value, "password_hash": u.password_hash, "session": u.session}
                for u in users.values()
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out, indent=2, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a password", salt=b"\x00" * SALT_BYTES)
