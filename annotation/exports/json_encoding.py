"""``json.dumps(value, ensure_ascii=False, sort_keys=...)``, the same text, without its cost per call.

``json.dumps`` and ``JSONEncoder.encode`` build a new C encoder (and a float formatter) for every value they
dump: for the small objects an export is made of, that costs as much as the encoding. The C encoder is made
once here. It writes what ``JSONEncoder.encode`` writes; only a circular structure, which JSON read from the
database cannot be, fails differently (no circular-reference check)."""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder


def json_encoder(*, sorted_keys: bool) -> Callable[[object], str]:
    """A function giving ``json.dumps(value, ensure_ascii=False, sort_keys=sorted_keys)``."""
    make = _encoder.c_make_encoder
    if make is None:  # a Python without the C accelerator
        return json.JSONEncoder(ensure_ascii=False, sort_keys=sorted_keys).encode
    chunks = make(
        None, json.JSONEncoder().default, _encoder.encode_basestring, None, ": ", ", ", sorted_keys, False, True
    )
    join = "".join

    def encode(value: object) -> str:
        return join(chunks(value, 0))

    return encode


# The project's two encoders (made once, shared by every export and cut) and what they write for a str.
ENCODERS: dict[bool, Callable[[object], str]] = {
    sorted_keys: json_encoder(sorted_keys=sorted_keys) for sorted_keys in (False, True)
}
json_string: Callable[[str], str] = _encoder.encode_basestring
