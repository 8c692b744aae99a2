"""Password hashing (Argon2id through argon2-cffi) and the strength checks.

argon2-cffi over bcrypt: Argon2id is memory-hard (the current OWASP recommendation), has no
72-byte limit on the password, and the library says itself when a stored hash was made with
weaker parameters than today's (``check_needs_rehash``), which is rehash-on-login.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache
from typing import Any

from fastapp.errors import SettingsError, WeakPasswordError

MIN_LENGTH = 8
#: A password this similar (difflib ratio) to the username or the e-mail's local part is refused.
MAX_SIMILARITY = 0.7
#: A small list of the most used passwords; a password in it (any case) is refused.
COMMON_PASSWORDS = frozenset(
    """
    123456 1234567 12345678 123456789 1234567890 password password1 password123 passw0rd
    qwerty qwerty123 qwertyuiop abc123 abcd1234 111111 000000 123123 654321 666666 777777
    888888 121212 112233 iloveyou letmein welcome welcome1 admin admin123 administrator root
    toor monkey dragon master sunshine princess football baseball superman batman trustno1
    shadow michael jennifer charlie donald freedom whatever starwars hello123 secret secret123
    changeme default guest login access 1q2w3e4r 1qaz2wsx zaq12wsx asdfghjkl asdf1234
    qazwsx q1w2e3r4 computer internet mustang soccer hockey killer pepper ginger cheese
    summer winter spring autumn flower hunter ranger buster thomas jordan harley robert
    matthew daniel andrew joshua liverpool chelsea arsenal cookie snoopy pokemon naruto
    """.split()
)


@cache
def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise SettingsError(
            "fastapp.contrib.auth needs argon2-cffi: pip install 'fastapp[auth]'"
        ) from None
    return PasswordHasher()


def hash_password(raw: str) -> str:
    """The Argon2id hash of ``raw`` (salted: two calls give different hashes)."""
    return _hasher().hash(raw)


def verify_password(hashed: str, raw: str) -> bool:
    """Whether ``raw`` matches ``hashed``; False (never an exception) for a wrong password or a
    value that is not a hash."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if not hashed:
        return False
    try:
        return _hasher().verify(hashed, raw)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Whether ``hashed`` was made with other parameters than today's hasher uses."""
    return _hasher().check_needs_rehash(hashed)


def password_problems(raw: str, *, username: str = "", email: str = "") -> list[str]:
    """What is wrong with ``raw`` as a password (empty: it will do). Never repeats it."""
    problems = []
    if len(raw) < MIN_LENGTH:
        problems.append(f"it is shorter than {MIN_LENGTH} characters")
    if raw.isdigit():
        problems.append("it is entirely numeric")
    if raw.lower().strip() in COMMON_PASSWORDS:
        problems.append("it is too common")
    lowered = raw.lower()
    for what, value in (("username", username), ("email address", email.partition("@")[0])):
        value = value.lower()
        if len(value) < 3:  # a letter or two in common says nothing
            continue
        matcher = SequenceMatcher(a=lowered, b=value)
        if value in lowered or lowered in value or matcher.ratio() >= MAX_SIMILARITY:
            problems.append(f"it is too similar to the {what}")
    return problems


def validate_password(raw: str, *, username: str = "", email: str = "") -> None:
    """Raise :class:`WeakPasswordError` listing every problem of ``raw``."""
    problems = password_problems(raw, username=username, email=email)
    if problems:
        raise WeakPasswordError(
            "the password is too weak: " + "; ".join(problems) + "; choose another"
        )
