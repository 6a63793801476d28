"""`qa user add | passwd | remove`: the users of the web app."""

from __future__ import annotations

import argparse
import sys

from qa.errors import QaError
from qa.settings import Settings


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal without echo (asked twice), or the first line of stdin when piped; asked in
    the command line's language, as it answers."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(prompt)
    if getpass.getpass("Password again: ") != first:
        raise QaError("the passwords differ")
    return first


def run_user(settings: Settings, args: argparse.Namespace) -> int:
    from qa.web.users import UserStore

    store = UserStore(settings.users_path)
    if args.user_command == "passwd":
        store.set_password(args.name, read_password())
        print(f"new password for '{args.name}' in {store.path}; their open sessions end")
        return 0
    if args.user_command == "remove":
        store.remove(args.name)
        print(f"removed '{args.name}' from {store.path}; their open sessions end")
        return 0
    existed = store.add(args.name, args.role, read_password())
    verb = "updated" if existed else "added"
    print(f"{verb} {args.role} '{args.name}' in {store.path}")
    return 0
