"""What every fuzz target shares: the hypothesis budget, the one property, broken-input makers.

The property: any input gives a result or a :class:`~fastapp.errors.FastappError` whose
message is exactly one non-empty line; any other exception fails the test.

Budget: ``FASTAPP_FUZZ`` picks a hypothesis settings profile. Unset (or ``short``), each target
runs a few dozen derandomized examples: the same inputs on every run, so ``make test`` and CI
stay quick and never flaky. ``FASTAPP_FUZZ=long`` runs thousands of fresh random examples per
target; a number (``FASTAPP_FUZZ=20000``) runs that many.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from fastapp.errors import FastappError

ENV = "FASTAPP_FUZZ"
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "fuzz-short", max_examples=40, deadline=None, derandomize=True, suppress_health_check=_QUIET
)
settings.register_profile(
    "fuzz-long", max_examples=3000, deadline=None, suppress_health_check=_QUIET
)


def budget() -> settings:
    """The settings the ``FASTAPP_FUZZ`` variable selects (see the module docstring)."""
    choice = os.environ.get(ENV, "short").strip().lower() or "short"
    if choice.isdigit():
        return settings(settings.get_profile("fuzz-long"), max_examples=int(choice))
    if choice not in ("short", "long"):
        raise ValueError(f"{ENV}={choice!r}: use short, long or a number of examples")
    return settings.get_profile(f"fuzz-{choice}")


#: Decorate each fuzz target with this (after ``@given``).
FUZZ = budget()


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, or the FastappError it raised after checking its message is
    one line. Any other exception propagates: that is the failure the targets look for."""
    try:
        return call(*args, **kwargs)
    except FastappError as exc:
        assert_one_line(exc)
        return exc


def assert_one_line(exc: BaseException) -> None:
    message = str(exc)
    assert message.strip(), f"{type(exc).__name__} with an empty message"
    assert len(message.splitlines()) == 1, f"{type(exc).__name__} over several lines: {message!r}"


# -- breaking structured text --------------------------------------------------------------

#: Pieces that upset decoders and tokenizers, inserted into otherwise well-formed text.
NASTY_TEXT = [
    "\x00",
    "\\",
    '"',
    "'",
    "`",
    "\\u",
    "\\ud800",
    "\\udc00x",
    "\\x41",
    "\\'",
    "\ufeff",
    "\u2028",
    "\x85",
    "\r",
    "\r\n",
    "/*",
    "*/",
    "//",
    "--",
    "$$",
    "$tag$",
    ",",
    ",]",
    ",}",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ";",
    ":",
    "9" * 400,
    "1e999999",
    "-0.0e-99999",
    "NaN",
    "Infinity",
    "-Infinity",
    "18446744073709551616",
    "\U0001f600",
]

#: Byte sequences that are not UTF-8 (or are suspicious UTF-8), for the byte-level inputs.
NASTY_BYTES = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3",  # a truncated two-byte sequence
    b"\xc0\xaf",  # an overlong "/"
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\x80",
    b"\xef\xbb\xbf",  # a BOM in the middle
    b"\x00",
    b"\x1f\x8b",  # a gzip magic number where text belongs
]


@st.composite
def mutated_text(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """Well-formed ``base`` text broken a few times: truncated, spliced, cut, doubled, with
    nasty pieces inserted."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 4))):
        edit = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate", "swap", "keep"]))
        at = draw(st.integers(0, len(text)))
        if edit == "insert":
            piece = draw(st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=4)))
            text = text[:at] + piece + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif edit == "truncate":
            text = text[:at]
        elif edit == "duplicate":
            end = draw(st.integers(at, len(text)))
            text = text[:end] + text[at:end] + text[end:]
        elif edit == "swap" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.sampled_from(NASTY_TEXT)) + text[at + 1 :]
    return text


@st.composite
def mutated_bytes(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """UTF-8 of ``text`` with, now and then, bytes that are not UTF-8 spliced in."""
    data = draw(text).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(st.sampled_from(NASTY_BYTES), st.binary(max_size=4)))
        data = data[:at] + piece + data[at:]
    return data


#: JSON scalars, including the ones decoders disagree about.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["${name=x}", "${", "2024-02-30", "0012.30", "\x00", "${a=1,b=}", "//", "/*"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def dumps(value: Any, *, indent: int | None) -> str:
    """JSON text of ``value``; unicode kept as it is, so nasty characters stay raw."""
    return json.dumps(value, ensure_ascii=False, indent=indent)
