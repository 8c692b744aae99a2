"""The one place for normalization rules: what a database reports -> the abstract Schema's values.

Every catalog reader (and anything else that builds a :class:`~fastapp.schema.objects.Schema`,
such as a DDL reader) calls these functions, so the same spelling always lands on the same
value. One module per concern:

* :mod:`.types` -- :func:`normalize_type` maps a backend's type text (``character
  varying(50)``, ``int(11) unsigned``, ``tinyint(1)``, ``VARCHAR(40)``) onto the canonical
  vocabulary of :data:`~fastapp.schema.objects.CANONICAL_TYPES`; what it does not know is
  kept verbatim with ``known=False``.
* :mod:`.expressions` -- :func:`normalize_expression` re-renders SQL expression text through
  sqlglot in the same dialect (checks, index expressions and predicates, generated columns),
  so spelling differences (case, redundant outer parentheses) vanish.
* :mod:`.defaults` -- :func:`normalize_default`: "no default", the stored spellings read
  without the parser, and which defaults need no parentheses.
* :mod:`.options` -- :func:`normalize_fk_action`, :func:`normalize_index_method`,
  :func:`index_shape`, :func:`normalize_comment`: what "the default action", "the default
  method", "all ascending" and "no comment" look like.
* :mod:`.syntax` -- sqlglot in a backend's dialect (tokenizer, parser), imported lazily.

The backends' own spellings (type aliases, boolean spellings, stored defaults, equivalent
actions) are data on each backend's hub in :mod:`fastapp.dialects`, not tables here.
"""

from __future__ import annotations

from fastapp.schema.normalize.defaults import is_simple_default, normalize_default, parsed_default
from fastapp.schema.normalize.expressions import normalize_expression
from fastapp.schema.normalize.options import (
    index_shape,
    normalize_comment,
    normalize_fk_action,
    normalize_index_method,
)
from fastapp.schema.normalize.syntax import outer_close, tokenizer
from fastapp.schema.normalize.types import TypeSpec, normalize_type

__all__ = [
    "TypeSpec",
    "index_shape",
    "is_simple_default",
    "normalize_comment",
    "normalize_default",
    "normalize_expression",
    "normalize_fk_action",
    "normalize_index_method",
    "normalize_type",
    "outer_close",
    "parsed_default",
    "tokenizer",
]
