"""Fixture readers and fixture discovery: pure tests, no database."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from fastapp.data import FixtureError, formats
from fastapp.data.discovery import find_fixtures
from fastapp.data.formats import FixtureReader, source_for, stdin_source
from fastapp.settings import Settings

JSONC = """// leading comment, with a quote " and a bracket ]
[
  /* block
     comment */
  {"model": "blog.Tag", "pk": 1, "fields": {"name": "a // not a comment",},},
  {
    "model": "blog.Tag", // trailing comment
    "pk": 2,
    "fields": {"name": "b /* not */ c, ] }", "list": [1, 2, /* x */ 3,],},
  },
  {"model": "blog.Tag", "pk": 3, "fields": {"name": "quote \\" and backslash \\\\"}}
  ,
]
// the end
"""


def records(source) -> list[tuple]:
    """``(index, line, value)`` of every record, the line asked while it is current."""
    reader = FixtureReader(source)
    return [
        (index, reader.line(index), value)
        for first, values in reader
        for index, value in enumerate(values, first)
    ]


def read(tmp_path: Path, text: str, name: str = "f.jsonc") -> list:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return records(source_for(path))


def error_of(tmp_path: Path, text: str, name: str = "bad.jsonc") -> str:
    with pytest.raises(FixtureError) as info:
        read(tmp_path, text, name)
    return str(info.value)


def test_jsonc_comments_and_trailing_commas_never_touch_strings(tmp_path):
    records = read(tmp_path, JSONC)
    assert [(index, line) for index, line, _ in records] == [(1, 5), (2, 6), (3, 11)]
    assert records[0][2]["fields"]["name"] == "a // not a comment"
    assert records[1][2]["fields"] == {"name": "b /* not */ c, ] }", "list": [1, 2, 3]}
    assert records[2][2]["fields"]["name"] == 'quote " and backslash \\'


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_tiny_buffers_give_the_same_records_and_lines(tmp_path, monkeypatch, chunk):
    expected = read(tmp_path, JSONC)
    monkeypatch.setattr(formats, "_CHUNK", chunk)
    assert read(tmp_path, JSONC) == expected


def test_plain_json_streams_many_records_with_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_CHUNK", 100)
    text = "[\n" + ",\n".join(json.dumps({"model": "m", "pk": i}) for i in range(500)) + "\n]"
    records = read(tmp_path, text, "big.json")
    assert len(records) == 500
    assert records[-1] == (500, 501, {"model": "m", "pk": 499})


def _tricky_fixture() -> tuple[str, list[int]]:
    """Indented records whose strings and JSON values hold separators; and their lines."""
    parts, lines, line = [], [], 2
    for i in range(300):
        fields = {
            "name": '}, {"model": "x"} ,{' if i % 7 == 0 else f"n{i}",
            "data": [{"a": i}, {"b": "},{"}] if i % 5 == 0 else {"k": "//*/"},
        }
        text = json.dumps({"model": "m", "pk": i, "fields": fields}, indent=1 + i % 3)
        parts.append(text)
        lines.append(line)
        line += text.count("\n") + 1
    return "[\n" + ",\n".join(parts) + "\n]\n", lines


@pytest.mark.parametrize("chunk", [50, 333, 4096, 1 << 20])
def test_bulk_decoding_matches_the_stdlib_record_by_record(tmp_path, monkeypatch, chunk):
    text, lines = _tricky_fixture()
    monkeypatch.setattr(formats, "_CHUNK", chunk)
    got = read(tmp_path, text, "tricky.json")
    assert [value for _, _, value in got] == json.loads(text)
    assert [(index, line) for index, line, _ in got] == [
        (i + 1, line) for i, line in enumerate(lines)
    ]


def test_an_error_after_bulk_decoded_records_names_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_CHUNK", 200)
    good = ",\n".join(json.dumps({"model": "m", "pk": i}) for i in range(100))
    message = error_of(tmp_path, f'[\n{good},\n{{"model": "m", "pk": 1,,}},\n{good}\n]')
    assert ":102:" in message and "Expecting" in message, message


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ('[\n  {"a": 1},\n  {"b" 2}\n]', ":3:8:", "Expecting ':' delimiter"),
        ('[\n  {"a": 1} {"b": 2}\n]', ":2:12:", "expected ',' or ']'"),
        ('[\n  {"a": 1,\n   "b": tru}\n]', ":3:9:", "Expecting value"),
        ('[\n  {"a": "unterminated}\n]', ":2:23:", "Invalid control character"),
        ('[\n  {"a": "unterminated', ":2:9:", "Unterminated string"),
        ('[{"a": 1}] /* open', ":1:12:", "unterminated /* comment"),
        ('{"model": "blog.Tag"}', ":1:1:", "expected '['"),
        ("", ":1:1:", "empty file"),
        ('[{"a": 1}]\n{"b": 2}', ":2:1:", "extra data"),
        ('[{"a": 1},\n', ":2:1:", "expected ']'"),
    ],
)
def test_malformed_input_names_file_line_and_column(tmp_path, text, where, what):
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / "bad.jsonc") + where), message
    assert what in message


def test_jsonl_skips_blank_lines_and_reports_the_line(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"pk": 1}\n\n// note\n{"pk": 2}\n', encoding="utf-8")
    assert records(source_for(path)) == [(1, 1, {"pk": 1}), (2, 4, {"pk": 2})]
    path.write_text('{"pk": 1}\n{"pk": }\n', encoding="utf-8")
    with pytest.raises(FixtureError, match=r"f\.jsonl:2:8: invalid JSON"):
        records(source_for(path))


def test_jsonl_comes_in_stretches_that_keep_lines_and_order(tmp_path, monkeypatch):
    monkeypatch.setattr(formats._JSONLinesReader, "STRETCH", 3)
    path = tmp_path / "f.jsonl"
    lines = ['{"pk": 1}', "", '{"pk": 2}', "// note", '{"pk": 3}', '{"pk": 4}', "", '{"pk": 5}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = records(source_for(path))
    assert got == [(1, 1, {"pk": 1}), (2, 3, {"pk": 2}), (3, 5, {"pk": 3}), (4, 6, {"pk": 4}),
                   (5, 8, {"pk": 5})]  # fmt: skip
    assert [len(v) for _, v in FixtureReader(source_for(path))] == [3, 2]
    # A malformed line after good ones: the good ones are handed over first.
    path.write_text('{"pk": 1}\n{"pk": 2}\n{"pk": }\n{"pk": 4}\n', encoding="utf-8")
    seen = []
    with pytest.raises(FixtureError, match=r"f\.jsonl:3:8: invalid JSON"):
        for _, values in FixtureReader(source_for(path)):
            seen.extend(values)
    assert seen == [{"pk": 1}, {"pk": 2}]


def test_gzip_bom_and_stdin(tmp_path, monkeypatch):
    path = tmp_path / "f.json.gz"
    path.write_bytes(gzip.compress('\ufeff[{"pk": 1}]'.encode()))
    source = source_for(path)
    assert (source.format, source.compressed) == ("json", True)
    assert records(source) == [(1, 1, {"pk": 1})]
    (tmp_path / "broken.json.gz").write_bytes(b"not gzip")
    with pytest.raises(FixtureError, match="cannot read"):
        records(source_for(tmp_path / "broken.json.gz"))

    fake = io.TextIOWrapper(io.BytesIO(b'{"pk": 7}\n'), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", fake)
    assert records(stdin_source("jsonl")) == [(1, 1, {"pk": 7})]
    with pytest.raises(FixtureError, match="needs --format"):
        stdin_source(None)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(FixtureError, match="unknown fixture format '.yaml'"):
        source_for(tmp_path / "f.yaml")
    with pytest.raises(FixtureError, match="does not exist"):
        records(source_for(tmp_path / "missing.json"))


class _Registry:
    """Just what discovery reads: no installed apps, FIXTURE_DIRS from settings."""

    def __init__(self, *dirs: Path) -> None:
        self.settings = Settings(module="t", fixture_dirs=tuple(dirs))

    def select(self, labels):
        return []


def test_discovery_by_name_ambiguity_and_all(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    for folder, name in [
        (one, "10_posts.jsonc"),
        (one, "2_users.json"),
        (two, "extra.jsonl"),
        (two, "01_groups.json.gz"),
        (two, "users.json"),
        (one, "users.jsonc"),
        (two, "notes.txt"),
    ]:
        (folder / name).write_text("[]")
    registry = _Registry(one, two)

    [found] = find_fixtures(["extra"], registry)
    assert found.path == two / "extra.jsonl" and found.format == "jsonl"
    [found] = find_fixtures(["users.json"], registry)
    assert found.path == two / "users.json"
    with pytest.raises(FixtureError) as info:
        find_fixtures(["users"], registry)
    assert "ambiguous" in str(info.value)
    assert str(one / "users.jsonc") in str(info.value) and str(two / "users.json") in str(
        info.value
    )
    with pytest.raises(FixtureError, match="'nothing' not found"):
        find_fixtures(["nothing"], registry)

    names = [s.path.name for s in find_fixtures(["all"], registry)]
    assert names == [
        "01_groups.json.gz",
        "2_users.json",
        "10_posts.jsonc",
        "extra.jsonl",
        "users.json",
        "users.jsonc",
    ]
    [explicit] = find_fixtures([str(one / "users.jsonc")], registry)
    assert explicit.path == one / "users.jsonc"
    with pytest.raises(FixtureError, match="does not exist"):
        find_fixtures([str(one / "missing.json")], registry)


def test_bytes_fast_path_hands_over_to_the_text_reader_mid_file(tmp_path, monkeypatch):
    """Plain JSON read as bytes, then a comment: the text reader goes on, lines intact."""
    monkeypatch.setattr(formats, "_CHUNK", 300)
    monkeypatch.setattr(formats, "_TAIL", 200)
    rows = [
        json.dumps({"model": "m", "pk": i, "f": "ü—“x”"}, ensure_ascii=False) for i in range(200)
    ]
    head, tail = ",\n".join(rows[:120]), ",\n".join(rows[120:])
    text = f"\ufeff[\n{head},\n// a comment, now\n{tail}\n]\n"
    path = tmp_path / "mixed.json"
    path.write_text(text, encoding="utf-8")
    reader, seen, got = FixtureReader(source_for(path)), set(), []
    for first, values in reader:
        seen.add(type(reader._lines).__name__)
        got += [(i, reader.line(i), v) for i, v in enumerate(values, first)]
    assert seen == {"_BytesArrayReader", "_JSONArrayReader"}
    assert [v for _, _, v in got] == [json.loads(r) for r in rows]
    assert [(i, line) for i, line, _ in got] == [(i + 1, i + 2 + (i >= 120)) for i in range(200)]

    # An error after the hand-over: its line, and its column counted in characters.
    bad = text.replace('"pk": 150, "f": "ü—“x”"}', '"pk": 150, "f": "ü—“x”",}').replace(
        "// a comment, now\n", ""
    )
    bad = bad.replace('{"model": "m", "pk": 170, "f": "ü—“x”"}', '{"model": "m", "pk": 170 "f": 1}')
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        records(source_for(path))
    assert str(info.value).startswith(f"{path}:172:26: invalid JSON"), str(info.value)


def test_bytes_fast_path_hand_over_mid_line_keeps_columns_in_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "_CHUNK", 300)
    monkeypatch.setattr(formats, "_TAIL", 200)
    rows = [
        json.dumps({"model": "m", "pk": i, "f": "ü—“x”"}, ensure_ascii=False) for i in range(150)
    ]
    rows[120] = '{"model": "m", "pk": 120, /* a comment */ "f": 1}'
    rows[140] = '{"model": "m", "pk": 140 "f": 1}'
    text = "[" + ", ".join(rows) + "]"
    path = tmp_path / "line.json"
    path.write_text(text, encoding="utf-8")
    reader, seen = FixtureReader(source_for(path)), set()
    with pytest.raises(FixtureError) as info:
        for _ in reader:
            seen.add(type(reader._lines).__name__)
    assert seen == {"_BytesArrayReader", "_JSONArrayReader"}
    column = text.index('"f": 1}', text.index('"pk": 140')) + 1
    assert str(info.value).startswith(f"{path}:1:{column}: invalid JSON"), str(info.value)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends_count_lines_as_before(tmp_path, monkeypatch, newline):
    monkeypatch.setattr(formats, "_CHUNK", 300)
    monkeypatch.setattr(formats, "_TAIL", 200)
    rows = [json.dumps({"model": "m", "pk": i}) for i in range(100)]
    rows[60] = '{"model": "m", // a comment' + newline + '"pk": 60}'
    text = "[" + newline + ("," + newline).join(rows) + newline + "]" + newline
    path = tmp_path / "ends.jsonc"
    path.write_bytes(text.encode())
    got = records(source_for(path))
    assert [v["pk"] for _, _, v in got] == list(range(100))
    assert [line for _, line, _ in got] == [i + 2 + (i > 60) for i in range(100)]
