"""One error family: services raise ``DomainError``s (``InvalidInput`` 400, ``Refused`` 409), mapped once for the
pages and once for the API; a bare ValueError is a programming error that no view or endpoint swallows."""

import ast
from pathlib import Path

from annotation.models import QualityFlag

PROJECT_DIR = Path(__file__).resolve().parent.parent
VIEW_MODULES = sorted(
    [*(PROJECT_DIR / "review" / "views").glob("*.py"), *(PROJECT_DIR / "annotation" / "api").glob("*.py")]
)
SERVICES = sorted(
    [*(PROJECT_DIR / "review" / "services").glob("*.py"), *(PROJECT_DIR / "annotation" / "services").glob("*.py")]
)
# These guard against programming errors (an actor that is both a person and a machine, a field no form has):
# a bug there is a server error, so they stay ValueError.
PROGRAMMING_GUARDS = {"annotation/services/audited_writes.py", "annotation/services/content.py"}


def _names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, ast.Tuple):
        return {name for element in node.elts for name in _names(element)}
    return {node.id} if isinstance(node, ast.Name) else {node.attr} if isinstance(node, ast.Attribute) else set()


def test_no_view_or_endpoint_catches_a_bare_value_error():
    caught = [
        f"{path.relative_to(PROJECT_DIR)}:{node.lineno}"
        for path in VIEW_MODULES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler) and _names(node.type) & {"ValueError", "Exception", "TypeError"}
    ]
    assert caught == [], "catch DomainError (annotation/errors.py), not ValueError: " + ", ".join(caught)


def test_the_services_raise_only_errors_of_the_family():
    raised = [
        f"{path.relative_to(PROJECT_DIR)}:{node.lineno}"
        for path in SERVICES
        if str(path.relative_to(PROJECT_DIR)) not in PROGRAMMING_GUARDS
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and _names(node.exc.func) & {"ValueError", "Exception"}
    ]
    assert raised == [], ", ".join(raised)


def test_the_api_answers_a_refusal_with_409_and_its_code(as_role, benchmark, make_item):
    make_item("SAD_0001", answer="")
    from annotation.services.flags import lint_run

    lint_run(benchmark=benchmark)
    flag = QualityFlag.objects.get(kind="missing_answer_key")
    reviewer = as_role("reviewer")
    assert reviewer.post(f"/api/flags/{flag.pk}/waive/", {"reason": "   "}).status_code == 400  # the serializer's
    assert reviewer.post(f"/api/flags/{flag.pk}/waive/", {"reason": "next batch"}).status_code == 200
    again = reviewer.post(f"/api/flags/{flag.pk}/waive/", {"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "FlagStatusRefused"


def test_the_api_handler_maps_each_kind_of_the_family_and_leaves_the_rest_to_drf():
    from rest_framework.exceptions import NotFound

    from annotation.api.errors import domain_exception_handler
    from annotation.errors import DomainError, InvalidInput, Refused

    bad = domain_exception_handler(InvalidInput("answer: 'Z' is no option", field="answer"), {})
    assert (bad.status_code, bad.data) == (
        400,
        {"detail": "answer: 'Z' is no option", "code": "InvalidInput", "field": "answer"},
    )
    assert domain_exception_handler(Refused("stale"), {}).status_code == 409
    assert domain_exception_handler(DomainError("damaged"), {}).status_code == 400
    assert domain_exception_handler(NotFound(), {}).status_code == 404
    assert domain_exception_handler(ValueError("a bug"), {}) is None  # a server error, not a 4xx
