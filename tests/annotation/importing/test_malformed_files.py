"""A corpus of broken input files: each gets a clear error naming the place, and nothing is written."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotation.models import AuditEvent, Benchmark, QAItem, Video

GOOD = {"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Does the head move?", "answer": "Yes"}


def rows(*changes: dict) -> bytes:
    return json.dumps([GOOD | {"qid": f"SAD_{n:04d}"} | change for n, change in enumerate(changes, 1)]).encode()


def jsonl(*lines: str) -> bytes:
    return "\n".join(lines).encode()


CMAR = "Which category?\nA. Body\nB. Head"
CORPUS = {
    "empty": (b"", "file is empty"),
    "only whitespace": (b"  \n\n  ", "file is empty"),
    "truncated array": (rows({})[:-20], "invalid JSON at line 1: parse error"),
    "array of numbers": (b"[1, 2]", "row 1: a row must be a JSON object, found int"),
    "bare string": (b'"hello"', "row 1: a row must be a JSON object, found str"),
    "object without fields": (b'{"hello": 1}', "row 1, field 'qid': missing"),
    "unknown task": (rows({"task": "CMAC"}), "row 1 (SAD_0001), field 'task': unknown task 'CMAC'"),
    "task of the wrong type": (rows({"task": 5}), "row 1 (SAD_0001), field 'task': unknown task 5"),
    "question of the wrong type": (rows({"question": ["a"]}), "field 'question': must be a string, found list"),
    "answer of the wrong type": (rows({"answer": 1}), "field 'answer': must be a string, found int"),
    "letter outside the options": (
        rows({"task": "CMAR", "question": CMAR, "answer": "C"}),
        "field 'answer': letter 'C' is not one of the options A, B",
    ),
    "option lines out of order": (
        rows({"task": "CMAR", "question": "Which?\nA. Body\nC. Head", "answer": "A"}),
        "field 'question': option lines are A, C; expected A, B",
    ),
    "choice without options": (rows({"task": "FMAR", "answer": "A"}), "field 'question': FMAR needs option lines"),
    "not yes or no": (rows({"answer": "Maybe"}), "field 'answer': 'Maybe' is not Yes or No"),
    "missing question": (rows({"question": ""}), "row 1 (SAD_0001), field 'question': missing"),
    "missing clip": (rows({"video": None}), "field 'video_name': missing"),
    "clip name with a path": (rows({"video": "../../etc/passwd.mp4"}), "is not a clip file name"),
    "video and video_name disagree": (rows({"video_name": "clip_b"}), "field 'video_name': 'clip_b' disagrees"),
    "qid with spaces": (rows({"qid": "SAD 1"}), "field 'qid': 'SAD 1' is not a qid"),
    "duplicate qid": (json.dumps([GOOD, GOOD]).encode(), "row 2 (SAD_0001), field 'qid': duplicate qid: also on row 1"),
    "script in the text": (
        rows({"question": "Does it move?<script>alert(1)</script>"}),
        "field 'question': contains markup '<script>alert(1)</script>'; plain text only",
    ),
    "markup the old denylist let through": (
        rows({"question": "Does it move? <details open ontoggle=alert(1)>"}),
        "field 'question': contains markup '<details open ontoggle=alert(1)>'",
    ),
    "line separator": (rows({"question": "Does it\u2028 move?"}), "contains the control character U+2028"),
    "control character": (rows({"question": "Does it\u0000 move?"}), "contains the control character U+0000"),
    "not UTF-8": (
        json.dumps([GOOD | {"question": "Caf\u00e9?"}]).encode("utf-8").replace(b"\\u00e9", b"\xe9"),
        "not UTF-8: byte 0xe9 at offset",
    ),
    "BOM in the middle of JSONL": (
        jsonl(json.dumps(GOOD), "\ufeff" + json.dumps(GOOD | {"qid": "SAD_0002"})),
        "row 2: a byte-order mark starts this line",
    ),
    "broken JSONL line": (jsonl(json.dumps(GOOD), '{"video": "clip_a.mp4", "task": '), "row 2: invalid JSON at column"),
    "huge line": (jsonl(json.dumps(GOOD | {"question": "x" * 1_100_000})), "row 1: line is"),
    "text over the length limit": (
        rows({"answer": "", "question": "y" * 20_001}),
        "is 20001 characters; the limit is 20000",
    ),
}


def assert_nothing_written():
    assert not Benchmark.objects.exists() and not Video.objects.exists()
    # The only events allowed are those of the test's own users (made by the fixtures).
    assert not QAItem.objects.exists() and not AuditEvent.objects.exclude(actor_source="test fixtures").exists()


@pytest.mark.parametrize("case", CORPUS)
def test_the_command_names_the_place_and_writes_nothing(db, tmp_path, case):
    content, expected = CORPUS[case]
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", "--in-process", str(path), "--benchmark", "Broken")
    assert str(path) in str(raised.value) and expected in str(raised.value)
    assert_nothing_written()


@pytest.mark.parametrize("case", CORPUS)
def test_the_upload_job_is_rejected_with_the_problems_and_the_site_keeps_serving(
    client, admin_user, tasks_in_process, case
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content, expected = CORPUS[case]
    client.force_login(admin_user)
    with tasks_in_process():
        response = client.post(
            reverse("api-import"), {"benchmark": "Broken", "questions": SimpleUploadedFile("broken.json", content)}
        )
    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["status"] == "rejected" and job["rows_written"] == 0
    problems = job["problems"]
    assert any(
        expected in f"{p['file']}{', row ' + str(p['row']) if p['row'] else ''}"
        f"{' (' + p['qid'] + ')' if p['qid'] else ''}{', field ' + repr(p['field']) if p['field'] else ''}: "
        f"{p['message']}"
        for p in problems
    ), problems
    assert sum(job["problems_by_kind"].values()) == job["problem_count"] == len(problems)
    assert_nothing_written()
    assert client.get(reverse("home")).status_code == 200


def test_a_byte_order_mark_at_the_very_start_is_tolerated(db, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + rows({}))
    call_command("import_benchmark", "--in-process", str(path), "--benchmark", "BOM", stdout=io.StringIO())
    assert QAItem.objects.count() == 1
