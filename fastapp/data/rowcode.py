"""Per-model row builders, generated as straight-line Python once per load.

Turning a record's ``fields`` into a row is the hot loop of ``loaddata`` (a million records
means ten million values). A generic loop pays for a dict lookup, a tuple unpack, a branch
on the key's kind and one or two calls per value; the generated builder knows the model's
keys, slots and kinds up front and checks the common cases (an int for an int column, a
short enough string for a CharField) inline, calling a converter only for the rest. This
is the technique ``dataclasses`` and ``namedtuple`` use; the generated source is kept on the
function (``__source__``) for debugging.

Two levels: the general builder takes any record (aliases, unknown keys, missing fields)
and words every error; for each key order met (a shape), a builder of its own unpacks
``fields.values()`` in one step and hands whatever it cannot take to the general one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapp.data.models import FOREIGN, MANY, MISSING, PLAIN, ForeignKey, Layout
from fastapp.data.values import ValueProblem

#: build(fields, pk, origin) -> row
RowBuilder = Callable[[dict, Any, Any], list]


class FieldProblem(ValueProblem):
    """A :class:`ValueProblem` that knows which record key it is about."""

    def __init__(self, field: str | None, problem: Exception) -> None:
        super().__init__(str(problem))
        self.field = field


_ABSENT = object()


def _fast_check(layout: Layout, slot: int, adapted: bool, v: str = "v") -> str | None:
    """An inline test meaning "the value in variable ``v`` is stored as is", or None."""
    if adapted:
        return None
    kind = layout.kinds[slot]
    if kind in ("int", "timedelta"):
        return f"type({v}) is int"
    if kind == "float":
        return f"type({v}) is float"
    if kind == "bool":
        return f"({v} is True or {v} is False)"
    if kind == "str":
        max_length = getattr(layout.fields[slot], "max_length", None)
        return f"type({v}) is str" + (f" and len({v}) <= {int(max_length)}" if max_length else "")
    if kind == "uuid":  # the stored form is the canonical lowercase text
        return f"type({v}) is str and UUID_TEXT({v}) is not None"
    return None


#: Canonical lowercase UUID text: what the uuid converter returns for any accepted input.
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def compile_builder(
    layout: Layout,
    *,
    adapted_kinds: set[str],
    reference: Callable[[ForeignKey], Callable[[Any], Any]],
    deferred: Callable[[ForeignKey], Callable[[Any, Any, Any], None]],
    many: Callable[[Any], Callable[[Any, Any, Any], None]],
    backward: Callable[[Any], Callable[[Any, Any, Any], None]],
    ignore_unknown: bool,
) -> RowBuilder:
    """Generate the row builder of ``layout``.

    ``reference(fk)`` converts a foreign-key value (or parses a lookup); ``deferred(fk)``,
    ``many(rel)`` and ``backward(rel)`` record values that are applied after all rows are
    written, given ``(value, own pk, origin)``. Problems raise :class:`FieldProblem`.
    """
    ns: dict[str, Any] = {
        "ABSENT": _ABSENT,
        "MISSING": MISSING,
        "UUID_TEXT": UUID_TEXT,
        "ValueProblem": ValueProblem,
        "FieldProblem": FieldProblem,
        "defaults": layout.defaults,
        "conv_0": layout.converters[0],
        "known_keys": frozenset(layout.keys),
    }
    lines = ["def build(fields, pk, origin):", "    row = defaults.copy()"]
    for slot, make in layout.dynamic_defaults:
        ns[f"dyn_{slot}"] = make
        lines.append(f"    row[{slot}] = dyn_{slot}()")
    lines += [
        f"    name = {layout.pk_name!r}",
        "    try:",
        "        if pk is not None:",
        "            row[0] = conv_0(pk)",
    ]
    if not layout.pk_generated:
        lines += [
            "        elif row[0] is None:",
            '            raise ValueProblem("this model\'s primary key is not generated: give \\"pk\\"")',
        ]
    lines += ["        own = row[0]", "        get = fields.get", "        seen = 0"]
    # Names as dumpdata writes them first; aliases (author_id for author, the pk's name) are
    # only looked at when some key of the record is still unaccounted for.
    primary = [k for k in layout.keys if not is_alias(layout, k)]
    aliases = [k for k in layout.keys if is_alias(layout, k)]
    for group, indent in ((primary, "        "), (aliases, "            ")):
        if group is aliases and aliases:
            lines.append("        if seen != len(fields):")
        for key in group:
            what, target = layout.keys[key]
            lines += [
                f"{indent}v = get({key!r}, ABSENT)",
                f"{indent}if v is not ABSENT:",
                f"{indent}    seen += 1; name = {key!r}",
            ]
            body = _assignment(
                layout, key, what, target, ns, adapted_kinds, reference, deferred, many, backward
            )
            lines += [indent + "    " + line for line in body]
    lines += ["        if seen != len(fields):"]
    if ignore_unknown:
        lines += ["            pass"]
    else:
        known = ", ".join(k for k in layout.keys if k != layout.pk_name)
        ns["unknown_message"] = (
            f"{layout.label} has no such field (fields: {known}); "
            "use --ignore-nonexistent to skip unknown fields"
        )
        lines += [
            "            for name in fields:",
            "                if name not in known_keys:",
            "                    raise ValueProblem(unknown_message)",
        ]
    for slot in layout.required:
        lines += [
            f"        if row[{slot}] is MISSING:",
            f"            name = {layout.slot_names[slot]!r}",
            '            raise ValueProblem("required: the field has no default")',
        ]
    lines += [
        "        return row",
        "    except ValueProblem as exc:",
        "        raise FieldProblem(name, exc) from None",
    ]
    general = _define(lines, ns, f"<row builder of {layout.label}>")
    hooks = (adapted_kinds, reference, deferred, many, backward)
    return _dispatcher(layout, general, hooks)


#: Key orders (shapes) per model given a builder of their own; past that, the general one.
MAX_SHAPES = 16


def _define(lines: list[str], ns: dict[str, Any], filename: str) -> RowBuilder:
    source = "\n".join(lines) + "\n"
    exec(compile(source, filename, "exec"), ns)
    build = ns["build"]
    build.__source__ = source
    return build


def _dispatcher(layout: Layout, general: RowBuilder, hooks: tuple) -> RowBuilder:
    """A builder that hands each record to the builder of its key order.

    Records of one model nearly always list the same keys in the same order (dumpdata
    writes them so). A builder for that exact shape unpacks ``fields.values()`` at once and
    knows which keys are absent: no lookup per key, no test for unknown or missing keys.
    It hands any record it cannot take as it is to the general builder, which also words
    every error, so both give the same rows and the same messages.
    """
    shapes: dict[tuple[str, ...], RowBuilder] = {}
    known = shapes.get

    def learn(keys: tuple[str, ...]) -> RowBuilder:
        if len(shapes) >= MAX_SHAPES:
            return general
        build = shapes[keys] = _compile_shape(layout, keys, general, *hooks) or general
        return build

    def build(fields: dict, pk: Any, origin: Any) -> list:
        keys = tuple(fields)
        return (known(keys) or learn(keys))(fields, pk, origin)

    build.shapes = shapes  # type: ignore[attr-defined]
    build.general = general  # type: ignore[attr-defined]
    return build


def _compile_shape(
    layout: Layout,
    keys: tuple[str, ...],
    general: RowBuilder,
    adapted_kinds: set[str],
    reference: Any,
    deferred: Any,
    many: Any,
    backward: Any,
) -> RowBuilder | None:
    """The builder of records whose ``fields`` have exactly ``keys``, in that order.

    None where the general builder is needed anyway: an unknown key, an alias (``author_id``,
    the pk's name), two keys for one column, a required field missing.
    """
    position: dict[str, int] = {}
    filled: set[int] = set()
    for i, key in enumerate(keys):
        entry = layout.keys.get(key)
        if entry is None or is_alias(layout, key):
            return None
        what, target = entry
        slot = target if what == PLAIN else target.slot if what == FOREIGN else None
        if slot is not None:
            if slot in filled:
                return None
            filled.add(slot)
        position[key] = i
    if any(slot not in filled for slot in layout.required):
        return None
    dynamic = dict(layout.dynamic_defaults)
    ns: dict[str, Any] = {"ValueProblem": ValueProblem, "general": general, "UUID_TEXT": UUID_TEXT}
    values = [f"v{i}" for i in range(len(keys))]
    lines = ["def build(fields, pk, origin):"]
    if values:
        lines.append(f"    {''.join(v + ', ' for v in values)}= fields.values()")
    lines += ["    try:", "        if pk is not None:"]
    pk_lines = _plain(layout, 0, "pk", "own", ns, adapted_kinds, maybe_none=False)
    lines += ["            " + line for line in pk_lines]
    lines.append("        else:")
    if 0 in dynamic:
        ns["dyn_0"] = dynamic[0]
        lines.append("            own = dyn_0()")
    else:
        ns["d_0"] = layout.defaults[0]
        lines.append("            own = d_0")
    if not layout.pk_generated:
        lines.append("            if own is None: return general(fields, pk, origin)")
    cells = ["own"] + [""] * (len(layout.columns) - 1)
    effects: list[str] = []
    for key, (what, target) in layout.keys.items():
        i = position.get(key)
        if i is None:
            continue
        v = f"v{i}"
        if what == PLAIN:
            cells[target] = f"s{target}"
            lines += [
                "        " + ln for ln in _plain(layout, target, v, f"s{target}", ns, adapted_kinds)
            ]
        elif what == FOREIGN and not target.deferred:
            cells[target.slot] = f"s{target.slot}"
            lines += ["        " + ln for ln in _reference(target, v, ns, adapted_kinds, reference)]
        else:
            hook = f"rel_{len(ns)}"
            if what == FOREIGN:
                cells[target.slot] = "None"
                ns[hook] = deferred(target)
            else:
                ns[hook] = many(target) if what == MANY else backward(target)
            effects.append(f"        {hook}({v}, own, origin)")
    lines.append("    except ValueProblem:")
    lines.append("        return general(fields, pk, origin)")
    if effects:  # after every value converted: a record handed to general leaves no trace
        lines += ["    try:", *effects, "    except ValueProblem:"]
        lines.append("        return general(fields, pk, origin)")
    for slot in range(1, len(cells)):
        if not cells[slot]:
            if slot in dynamic:
                ns[f"dyn_{slot}"] = dynamic[slot]
                cells[slot] = f"dyn_{slot}()"
            else:
                ns[f"d_{slot}"] = layout.defaults[slot]
                cells[slot] = f"d_{slot}"
    lines.append(f"    return [{', '.join(cells)}]")
    return _define(lines, ns, f"<row builder of {layout.label} for {', '.join(keys)}>")


def _plain(
    layout: Layout,
    slot: int,
    v: str,
    out: str,
    ns: dict[str, Any],
    adapted_kinds: set[str],
    maybe_none: bool = True,
) -> list[str]:
    """Lines setting ``out`` to the stored value of ``v`` for a plain column (ValueProblem)."""
    ident = f"{slot}_{len(ns)}"
    branches: list[tuple[str, str]] = []
    if maybe_none:
        null = f"{out} = None" if layout.nullable[slot] else "raise ValueProblem"
        branches.append((f"{v} is None", null))
    fast = _fast_check(layout, slot, layout.kinds[slot] in adapted_kinds, v)
    if fast:
        branches.append((fast, f"{out} = {v}"))
    from_text = text_form(layout, slot)
    if from_text is not None:
        ns[f"text_{ident}"] = from_text
        branches.append(
            (f"type({v}) is str and (t := text_{ident}({v})) is not None", f"{out} = t")
        )
    ns[f"conv_{ident}"] = layout.converters[slot]
    if not branches:
        return [f"{out} = conv_{ident}({v})"]
    lines = []
    for i, (test, then) in enumerate(branches):
        lines += [f"{'elif' if i else 'if'} {test}:", f"    {then}"]
    return lines + ["else:", f"    {out} = conv_{ident}({v})"]


def _reference(
    fk: ForeignKey, v: str, ns: dict[str, Any], adapted_kinds: set[str], reference: Any
) -> list[str]:
    ident = f"{fk.slot}_{len(ns)}"
    ref = ns[f"ref_{ident}"] = reference(fk)
    out = f"s{fk.slot}"
    lines = [f"if {v} is None:", f"    {out} = None" if fk.nullable else "    raise ValueProblem"]
    if fk.convert_kind == "int" and "int" not in adapted_kinds:
        lines += [f"elif type({v}) is int:", f"    {out} = {v}"]
    parsed = getattr(ref, "parsed", None)
    if parsed is not None:  # a lookup text seen before: its parsed form, one dict probe
        ns[f"seen_{ident}"] = parsed
        lines += [
            f"elif type({v}) is str and (t := seen_{ident}.get({v})) is not None:",
            f"    {out} = t",
        ]
    return lines + ["else:", f"    {out} = ref_{ident}({v})"]


def text_form(layout: Layout, slot: int) -> Callable[[str], Any] | None:
    """The adapter's shortcut for text already in the stored form (None: it has none).

    An adapter may carry ``text_form(field)``, giving a function that returns the value to
    store for text it can take as it is, and None for any other text.
    """
    factory = getattr(layout.adapters[slot], "text_form", None)
    return None if factory is None else factory(layout.fields[slot])


def is_alias(layout: Layout, key: str) -> bool:
    what, target = layout.keys[key]
    if what == PLAIN:
        return target == 0
    return what == FOREIGN and key != target.name


def _assignment(
    layout: Layout,
    key: str,
    what: int,
    target: Any,
    ns: dict[str, Any],
    adapted_kinds: set[str],
    reference: Any,
    deferred: Any,
    many: Any,
    backward: Any,
) -> list[str]:
    ident = f"{what}_{len(ns)}"
    if what == PLAIN:
        slot = target
        ns[f"conv_{ident}"] = layout.parsers[slot]
        adapt = layout.adapters[slot]
        call = f"conv_{ident}(v)"
        if adapt is not None:
            ns[f"adapt_{ident}"] = adapt
            call = f"adapt_{ident}({call})"
        null = (
            f"row[{slot}] = None"
            if layout.nullable[slot]
            else 'raise ValueProblem("may not be null")'
        )
        lines = ["if v is None:", f"    {null}"]
        fast = _fast_check(layout, slot, layout.kinds[slot] in adapted_kinds)
        if fast:
            lines += [f"elif {fast}:", f"    row[{slot}] = v"]
        from_text = text_form(layout, slot)
        if from_text is not None:
            # The adapter can take text already in the stored form as it is (None: it cannot).
            ns[f"text_{ident}"] = from_text
            lines += [
                f"elif type(v) is str and (t := text_{ident}(v)) is not None:",
                f"    row[{slot}] = t",
            ]
        return lines + ["else:", f"    row[{slot}] = {call}"]
    if what == FOREIGN:
        fk: ForeignKey = target
        if fk.deferred:
            ns[f"defer_{ident}"] = deferred(fk)
            return [f"row[{fk.slot}] = defer_{ident}(v, own, origin)"]
        ns[f"ref_{ident}"] = reference(fk)
        null = f"row[{fk.slot}] = None" if fk.nullable else 'raise ValueProblem("may not be null")'
        lines = ["if v is None:", f"    {null}"]
        if fk.convert_kind == "int" and "int" not in adapted_kinds:
            lines += ["elif type(v) is int:", f"    row[{fk.slot}] = v"]
        return lines + ["else:", f"    row[{fk.slot}] = ref_{ident}(v)"]
    ns[f"rel_{ident}"] = many(target) if what == MANY else backward(target)
    return [f"rel_{ident}(v, own, origin)"]
