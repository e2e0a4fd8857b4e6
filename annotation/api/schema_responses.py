"""A drf-spectacular postprocessing hook: every operation documents the answers any endpoint may
give besides its own (401 without valid credentials, 403 for a role that may not, 404 where the
path names an object, 400 where the request carries parameters or a body), so a client, and the
fuzzer in tests/api_contract, can tell a documented refusal from a broken contract."""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "`detail` says what was wrong; `field` names the field when one was (the error family); "
    "a serializer's refusal lists each field with its problems",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}, "field": {"type": "string"}},
    "additionalProperties": True,
}
COMMON = {
    "401": "no or invalid credentials (a token: `Authorization: Token <key>`, or a session)",
    "403": "the role may not do this",
}


def _has_input(operation: dict) -> bool:
    return bool(operation.get("parameters")) or "requestBody" in operation


def with_common_responses(result: dict, generator, request, public) -> dict:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            wanted = dict(COMMON)
            if "{" in path:
                wanted["404"] = "no such object, or not one this requester may see"
            if _has_input(operation):
                wanted["400"] = "a parameter or field it does not take (named, with what it takes)"
            for status, description in wanted.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
