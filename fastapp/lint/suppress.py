"""Suppression comments in migration files: ``# fastapp: allow FA003`` (several ids: ``allow
FA003, FA007``) anywhere in a file allows those rules for that file's findings."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from fastapp.errors import FastappError
from fastapp.lint.rules import RULES

MARKER = "fastapp:"


class SuppressionError(FastappError):
    """A suppression comment names a rule that does not exist, or is not readable."""


def allowed_rules(path: Path) -> frozenset[str]:
    """The rule ids the comments of the Python file ``path`` allow. Raises
    :class:`SuppressionError` naming the file and line of an unknown id."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SuppressionError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return allowed_in(text, str(path))


def allowed_in(text: str, source: str) -> frozenset[str]:
    """:func:`allowed_rules` of ``text`` (``source`` names it in errors)."""
    found: set[str] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise SuppressionError(f"{source}: cannot read the file's comments: {exc}") from exc
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        body = token.string.lstrip("#").strip()
        if not body.lower().startswith(MARKER):
            continue
        words = body[len(MARKER) :].replace(",", " ").split()
        line = token.start[0]
        if not words or words[0].lower() != "allow" or len(words) < 2:
            raise SuppressionError(
                f"{source}:{line}: a fastapp comment must read '# fastapp: allow FA001[, ...]'"
            )
        for word in words[1:]:
            rule = word.upper()
            if rule not in RULES:
                raise SuppressionError(
                    f"{source}:{line}: unknown lint rule {word!r} in a suppression comment "
                    f"(rules: {', '.join(RULES)}); fix or remove the comment"
                )
            found.add(rule)
    return frozenset(found)
