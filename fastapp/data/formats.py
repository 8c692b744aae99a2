"""Streaming readers for fixture files: JSON/JSONC arrays, JSON Lines, gzip, standard input.

A JSON array is read element by element from a bounded buffer, so a file larger than memory
loads. Each element is first handed to the C decoder as it stands (the fast path for plain
JSON); only an element the decoder rejects is scanned token by token for JSONC comments and
trailing commas, which are blanked out in place (newlines kept) so that positions in error
messages still point into the original file. Strings are skipped as whole tokens, so ``//``,
``/*`` or ``,]`` inside a string are never touched.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from fastapp.data import FixtureError

#: Formats a fixture can have; ``jsonc`` is read by the JSON reader, which accepts comments.
FORMATS = ("json", "jsonc", "jsonl")
_SUFFIXES = {".json": "json", ".jsonc": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_CHUNK = 1 << 20

_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_SEPARATOR = re.compile(r"[ \t\r\n]*,[ \t\r\n]*")
_SPECIAL = re.compile(r'[\[\]{}"/]')
_STRING_TAIL = re.compile(r'(?:[^"\\]|\\.)*"', re.S)
_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.S)
#: Where the fast path looks for its cut: a record boundary, preferably one before "model".
_RECORD_SEPARATOR = re.compile(r'\}[ \t\r\n]*,[ \t\r\n]*(?=\{[ \t\r\n]*"model")')
_OBJECT_SEPARATOR = re.compile(r"\}[ \t\r\n]*,[ \t\r\n]*(?=\{)")
_TAIL = 1 << 16
_SCALAR_END = re.compile(r"[\s,\]}/]")
_decoder = json.JSONDecoder()

#: Records as read: (1-based index of the first in its fixture, decoded values).
Stretch = tuple[int, list[Any]]


@dataclass(frozen=True)
class FixtureSource:
    """A fixture to read: a file (maybe gzip-compressed) or standard input (``-``)."""

    name: str
    path: Path | None
    format: str
    compressed: bool = False

    @property
    def label(self) -> str:
        return self.name if self.path is None else str(self.path)

    def size(self) -> int | None:
        return self.path.stat().st_size if self.path is not None else None


def source_for(path: Path, format: str | None = None) -> FixtureSource:
    """A :class:`FixtureSource` for ``path``, its format from ``format`` or the file name."""
    name = path.name
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    fmt = format or _SUFFIXES.get(Path(name).suffix.lower())
    if fmt is None:
        raise FixtureError(
            f"{path}: unknown fixture format {Path(name).suffix or '(no suffix)'!r}: "
            "use .json, .jsonc, .jsonl (optionally .gz) or pass --format"
        )
    return FixtureSource(str(path), path, _normalize_format(fmt), compressed)


def stdin_source(format: str | None) -> FixtureSource:
    """Standard input; its format must be given since there is no file name to go by."""
    if format is None:
        raise FixtureError("reading a fixture from standard input ('-') needs --format json|jsonl")
    return FixtureSource("-", None, _normalize_format(format))


def _normalize_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise FixtureError(f"unknown fixture format {fmt!r}: use one of {', '.join(FORMATS)}")
    return "json" if fmt == "jsonc" else fmt


class FixtureReader:
    """Iterate over a source's records in stretches ``(index of the first, values)``.

    ``line(index)`` tells where a record of the current stretch starts (for messages);
    ``consumed()`` how many input bytes were read.
    """

    def __init__(self, source: FixtureSource) -> None:
        self.source = source
        self._raw: IO[bytes] | None = None
        self._final = 0
        self._lines: Any = None

    def consumed(self) -> int:
        raw = self._raw
        if raw is None or raw.closed:
            return self._final
        try:
            return raw.tell()
        except (OSError, ValueError):  # a pipe (standard input) has no position
            return self._final

    def line(self, index: int) -> int:
        """The line where record ``index`` starts; valid for the record just yielded."""
        return self._lines.line(index)

    def __iter__(self) -> Iterator[Stretch]:
        source = self.source
        try:
            raw: IO[bytes] = source.path.open("rb") if source.path is not None else sys.stdin.buffer
        except FileNotFoundError:
            raise FixtureError(f"fixture {source.label} does not exist") from None
        except OSError as exc:
            raise FixtureError(f"cannot open fixture {source.label}: {exc.strerror}") from None
        self._raw = raw
        binary: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if source.compressed else raw
        text: IO[str] | _Resumed = _Resumed(b"", binary)
        try:
            if source.format == "jsonl":
                text = io.TextIOWrapper(binary, encoding="utf-8-sig")
                self._lines = _JSONLinesReader(text, source.label)
            else:
                fast = self._lines = _BytesArrayReader(binary)
                yield from fast
                text = _Resumed(fast.rest, binary)
                self._lines = _JSONArrayReader(text, source.label, fast.resume)
            yield from self._lines
        except UnicodeDecodeError as exc:
            raise FixtureError(f"{source.label}: not UTF-8 text ({exc.reason})") from None
        except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile, truncated or
            # damaged archives (zlib reports a corrupt deflate stream in its own type)
            raise FixtureError(f"{source.label}: cannot read: {exc}") from None
        finally:
            if source.path is not None:
                self._final = self.consumed()
                text.close()


class _JSONLinesReader:
    """One JSON value a line, handed over in stretches of up to :attr:`STRETCH` records (the
    column builder takes runs of records; memory holds one stretch)."""

    STRETCH = 1000

    def __init__(self, text: IO[str], label: str) -> None:
        self.text = text
        self.label = label
        self.first = 1
        self.lines: list[int] = []

    def line(self, index: int) -> int:
        return self.lines[index - self.first]

    def __iter__(self) -> Iterator[Stretch]:
        index = 0
        values: list[Any] = []
        lines: list[int] = []
        loads = orjson.loads
        for lineno, line in enumerate(self.text, 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("//"):
                continue
            try:
                value = loads(line)
            except orjson.JSONDecodeError:
                try:  # what orjson refuses (NaN, Infinity) the stdlib may take
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    if values:  # the records before it first: an error among them comes first
                        self.first, self.lines = index + 1, lines
                        yield index + 1, values
                    raise FixtureError(
                        f"{self.label}:{lineno}:{exc.colno}: invalid JSON: {exc.msg}"
                    ) from None
            values.append(value)
            lines.append(lineno)
            if len(values) >= self.STRETCH:
                self.first, self.lines = index + 1, lines
                yield index + 1, values
                index += len(values)
                values, lines = [], []
        if values:
            self.first, self.lines = index + 1, lines
            yield index + 1, values


class _JSONArrayReader:
    """A JSON(C) array of values, decoded from a sliding buffer.

    Fast path: a stretch of whole records (up to the last ``},{`` separator in the buffer)
    is decoded by orjson in one call, as ``"[" + stretch + "]"``. A wrong cut (inside a
    string or a nested object) cannot decode: it leaves a string or a bracket open. Anything
    the fast path rejects (JSONC, a wrong cut, an error) is read one element at a time with
    the stdlib decoder, which also words the error message, up to the end of that stretch.
    """

    def __init__(self, text: Any, label: str, resume: _Resume | None = None) -> None:
        self.text = text
        self.label = label
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.col_base = 0  # 0-based column of buf[0]
        # Line numbers are counted incrementally from a mark that only moves forward, so
        # numbering every record costs time linear in the file, not in the buffer.
        self.mark_pos = 0
        self.mark_line = 1
        #: Where the bytes reader handed over: records read, line and column of the text.
        self.resume = resume
        if resume is not None:
            self.mark_line, self.col_base = resume.line, resume.column
        self.slow_until = 0  # buffer position before which the fast path is not tried
        # The stretch decoded by the fast path last: (first index, start, end), for line().
        self.stretch: tuple[int, int, int] | None = None
        self.stretch_lines: list[int] | None = None
        self.current = (0, 1)  # (index, line) of the last record the slow path read

    # -- buffer -----------------------------------------------------------------------------
    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self._line(self.pos)
        self.mark_pos = 0
        newline = self.buf.rfind("\n", 0, self.pos)
        self.col_base = self.pos - newline - 1 if newline >= 0 else self.col_base + self.pos
        self.slow_until = max(0, self.slow_until - self.pos)
        self.stretch = None
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def _line(self, pos: int) -> int:
        if pos >= self.mark_pos:
            self.mark_line += self.buf.count("\n", self.mark_pos, pos)
            self.mark_pos = pos
            return self.mark_line
        return self.mark_line - self.buf.count("\n", pos, self.mark_pos)

    def _where(self, pos: int) -> tuple[int, int]:
        line = self._line(pos)
        newline = self.buf.rfind("\n", 0, pos)
        return line, pos - newline if newline >= 0 else self.col_base + pos + 1

    def _error(self, pos: int, message: str) -> FixtureError:
        line, col = self._where(pos)
        return FixtureError(f"{self.label}:{line}:{col}: invalid JSON: {message}")

    def _skip(self) -> str:
        """Skip whitespace and comments; return the next character ('' at the end)."""
        while True:
            start = self.pos
            self.pos = _SKIP.match(self.buf, start).end()
            at_edge = self.pos == len(self.buf) or (
                self.buf[self.pos] == "/"
                and (self.pos == len(self.buf) - 1 or self.buf[self.pos + 1] == "*")
            )
            if at_edge and not self.eof:
                # A comment (or a "/" that may start one) can continue in the next chunk.
                self.pos = start
                self._fill()
                continue
            if self.pos == len(self.buf):
                return ""
            if self.buf.startswith("/*", self.pos):
                raise self._error(self.pos, "unterminated /* comment")
            return self.buf[self.pos]

    def line(self, index: int) -> int:
        if self.stretch is None or index < self.stretch[0]:
            return self.current[1]
        if self.stretch_lines is None:
            # Only messages ask: find each record's start by decoding the stretch again.
            first, pos, end = self.stretch
            lines, line = [], self._line(pos)
            while pos < end:
                lines.append(line)
                _, stop = _decoder.raw_decode(self.buf, pos)
                nxt = _SEPARATOR.match(self.buf, stop)
                following = nxt.end() if nxt else end
                line += self.buf.count("\n", pos, following)
                pos = following
            self.stretch_lines = lines
        return self.stretch_lines[index - self.stretch[0]]

    def _stretch(self) -> tuple[list, int, int] | None:
        """Decode whole records from ``pos`` up to the last separator in the buffer, or None."""
        buf, pos = self.buf, self.pos
        if pos < self.slow_until:
            return None
        if not self.eof and len(buf) - pos < _CHUNK:
            self._fill()
            buf, pos = self.buf, self.pos
        tail = max(pos, len(buf) - _TAIL)
        cut = None
        for pattern in (_RECORD_SEPARATOR, _OBJECT_SEPARATOR):
            cut = _last(pattern.finditer(buf, tail))
            if cut is not None:
                break
        if cut is None:
            return None
        end = cut.start() + 1
        try:
            values = orjson.loads("[" + buf[pos:end] + "]")
        except orjson.JSONDecodeError:
            self.slow_until = end
            return None
        self._line(pos)
        self.stretch_lines = None
        self.pos = cut.end()
        return values, pos, end

    # -- elements ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Stretch]:
        if self.resume is not None and self.resume.records:
            index = self.resume.records  # inside the array, at the start of a record
            self.current = (index, self.mark_line)
        else:
            first = self._skip()
            if first != "[":
                raise self._error(
                    self.pos,
                    "a fixture is a list of records: expected '['" if first else "empty file",
                )
            self.pos += 1
            index = 0
        while True:
            nxt = self._skip()
            if nxt == "{":
                found = self._stretch()
                if found is not None:
                    values, start, end = found
                    self.stretch = (index + 1, start, end)
                    yield index + 1, values
                    index += len(values)
                    continue  # self.pos is at the "{" of the next record
            elif nxt == "]":
                break
            elif not nxt:
                raise self._error(self.pos, "unexpected end of file: expected ']'")
            line = self._line(self.pos)  # before decoding, which may shift the buffer
            value = self._element()
            index += 1
            self.current = (index, line)
            self.stretch = None
            yield index, [value]
            nxt = self._skip()
            if nxt == ",":
                self.pos += 1
            elif nxt == "]":
                break
            else:
                raise self._error(
                    self.pos, "expected ',' or ']' after a record" if nxt else "unexpected end"
                )
        self.pos += 1
        if self._skip():
            raise self._error(self.pos, "extra data after the closing ']'")

    def _element(self) -> Any:
        while True:
            if (
                not self.eof
                and self.buf[self.pos] not in '[{"'
                and _SCALAR_END.search(self.buf, self.pos) is None
            ):
                # A number cut by the buffer edge may still decode ("0." reads as 0): read on
                # until something ends it.
                self._fill()
                continue
            try:
                value, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                end = _extent(self.buf, self.pos)
                if end is None:
                    if self._fill():
                        continue
                    raise self._error(exc.pos, exc.msg) from None
                return self._decode_jsonc(end)
            if end == len(self.buf) and not self.eof and self._fill():
                continue  # a number cut by the buffer edge: decode it again whole
            self.pos = end
            return value

    def _decode_jsonc(self, end: int) -> Any:
        start = self.pos
        cleaned = _strip_jsonc(self.buf[start:end])
        try:
            value = json.loads(cleaned)
        except json.JSONDecodeError as exc:
            raise self._error(start + exc.pos, exc.msg) from None
        self.pos = end
        return value


@dataclass(frozen=True)
class _Resume:
    """Where :class:`_BytesArrayReader` stopped: records read, line and 0-based column."""

    records: int
    line: int
    column: int


_BOM = b"\xef\xbb\xbf"
_START = re.compile(rb"[ \t\r\n]*\[[ \t\r\n]*(?=\{)")
_RECORD_SEPARATOR_BYTES = re.compile(_RECORD_SEPARATOR.pattern.encode())
_LONE_CR = re.compile(rb"\r(?!\n)")


class _BytesArrayReader:
    """The fast path of a JSON array, on bytes: whole records up to the last separator.

    orjson takes UTF-8 bytes as they are; decoding the file to text and orjson encoding
    it back cost as much as a third of its parse. This reader yields stretches of
    records while the input is plain JSON, then stops at a record boundary (or at the
    start) and leaves the rest (``rest``, ``resume``) to :class:`_JSONArrayReader`, which
    reads comments, trailing commas, the last records and every error, with positions
    that still point into the original file.
    """

    def __init__(self, binary: IO[bytes]) -> None:
        self.binary = binary
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.line_at_pos = 1
        self.column = 0  # 0-based column (in characters) of buf[0]
        self.records = 0
        self.rest = b""
        self.resume = _Resume(0, 1, 0)
        self.stretch: tuple[int, int, int] | None = None  # (first index, start, end)
        self.stretch_lines: list[int] | None = None

    def _fill(self) -> None:
        chunk = self.binary.read(_CHUNK)
        if not chunk:
            self.eof = True
        if self.records:  # before the first stretch, the text reader may need it all
            self.column = self._column(self.pos)
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += chunk
        self.stretch = None

    def line(self, index: int) -> int:
        """The line where record ``index`` of the last stretch starts (for messages)."""
        if self.stretch_lines is None:
            first, start, end = self.stretch  # type: ignore[misc]
            text = self.buf[start:end].decode("utf-8")
            lines, line, pos = [], self.line_at_pos - self.buf.count(b"\n", start, self.pos), 0
            while pos < len(text):
                lines.append(line)
                _, stop = _decoder.raw_decode(text, pos)
                nxt = _SEPARATOR.match(text, stop)
                following = nxt.end() if nxt else len(text)
                line += text.count("\n", pos, following)
                pos = following
            self.stretch_lines = lines
        return self.stretch_lines[index - self.stretch[0]]  # type: ignore[index]

    def __iter__(self) -> Iterator[Stretch]:
        self._fill()
        if self.buf.startswith(_BOM):
            self.pos = len(_BOM)
        start = _START.match(self.buf, self.pos)
        if start is None:
            self._stop(0)
            return
        self.line_at_pos += self.buf.count(b"\n", self.pos, start.end())
        self.pos = start.end()
        while True:
            if not self.eof and len(self.buf) - self.pos < _CHUNK:
                self._fill()
            if self.eof:
                break  # the last records and the closing bracket: the text reader's
            tail = max(self.pos, len(self.buf) - _TAIL)
            cut = _last(_RECORD_SEPARATOR_BYTES.finditer(self.buf, tail))
            if cut is None:
                break
            end = cut.start() + 1
            piece = self.buf[self.pos : end]
            if b"\r" in piece and _LONE_CR.search(piece):
                break  # old Mac line ends: the text reader counts those lines
            try:
                values = orjson.loads(b"[" + piece + b"]")
            except orjson.JSONDecodeError:
                break
            self.stretch = (self.records + 1, self.pos, end)
            self.stretch_lines = None
            first = self.records + 1
            self.records += len(values)
            self.line_at_pos += self.buf.count(b"\n", self.pos, cut.end())
            self.pos = cut.end()
            yield first, values
        self._stop(self.pos)

    def _stop(self, pos: int) -> None:
        """Leave the input from ``pos`` on to the text reader."""
        self.stretch = None
        if not self.records:  # nothing read here: the text reader starts from the top
            pos, line = 0, 1
        else:
            line = self.line_at_pos
        self.rest = self.buf[pos:]
        self.resume = _Resume(self.records, line, self._column(pos))

    def _column(self, pos: int) -> int:
        """The 0-based column, in characters, of ``buf[pos]`` (a character boundary)."""
        newline = self.buf.rfind(b"\n", 0, pos)
        before = self.column if newline < 0 else 0
        return before + len(self.buf[newline + 1 : pos].decode("utf-8", "replace"))


class _Resumed:
    """Text from the bytes left by the fast path, then from the rest of the stream."""

    def __init__(self, rest: bytes, binary: IO[bytes]) -> None:
        # Universal newlines, as io.TextIOWrapper reads: "\r\n" and "\r" become "\n".
        utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self.decoder = io.IncrementalNewlineDecoder(utf8, translate=True)
        self.pending = rest
        self.binary = binary

    def read(self, size: int) -> str:
        while True:
            data = self.pending or self.binary.read(size)
            self.pending = b""
            text = self.decoder.decode(data, final=not data)
            if text or not data:
                return text

    def close(self) -> None:
        self.binary.close()


def _last(matches: Iterator[re.Match]) -> re.Match | None:
    last = None
    for last in matches:  # noqa: B007 - the loop keeps the last one
        pass
    return last


def _extent(buf: str, pos: int) -> int | None:
    """End of the bracketed value starting at ``pos`` (None: the buffer ends before it does)."""
    depth = 0
    i = pos
    if buf[pos] not in "[{":
        return None  # a scalar where a record belongs: the decoder's error says where
    while True:
        m = _SPECIAL.search(buf, i)
        if m is None:
            return None
        i = m.start()
        ch = buf[i]
        if ch == '"':
            tail = _STRING_TAIL.match(buf, i + 1)
            if tail is None:
                return None
            i = tail.end()
            continue
        if ch == "/":
            if buf.startswith("//", i):
                nl = buf.find("\n", i)
                if nl < 0:
                    return None
                i = nl + 1
                continue
            if buf.startswith("/*", i):
                close = buf.find("*/", i + 2)
                if close < 0:
                    return None
                i = close + 2
                continue
            i += 1
            continue
        depth += 1 if ch in "[{" else -1
        i += 1
        if depth == 0:
            return i


def _strip_jsonc(text: str) -> str:
    """``text`` with comments and trailing commas replaced by spaces (newlines kept)."""
    out: list[str] = []
    i = 0
    while True:
        m = _SPECIAL.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        j = m.start()
        ch = text[j]
        if ch == '"':
            tail = _STRING_TAIL.match(text, j + 1)
            k = tail.end() if tail else len(text)
            out.append(text[i:k])
            i = k
        elif ch == "/" and text.startswith("//", j):
            nl = text.find("\n", j)
            k = len(text) if nl < 0 else nl
            out.append(text[i:j] + " " * (k - j))
            i = k
        elif ch == "/" and text.startswith("/*", j):
            close = text.find("*/", j + 2)
            k = len(text) if close < 0 else close + 2
            out.append(text[i:j] + re.sub(r"[^\n]", " ", text[j:k]))
            i = k
        else:
            out.append(text[i : j + 1])
            i = j + 1
    without_comments = "".join(out)
    return _TRAILING_COMMA.sub(lambda m: m.group() if m.group() != "," else " ", without_comments)
