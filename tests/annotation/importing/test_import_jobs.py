"""Imports as background jobs: stored upload, 202 with the job's URL, progress on the job row, a bounded
problem list with totals per kind, nothing written on any problem, bounded nesting, a real worker, the command."""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from annotation.importing.problems import LISTED_PROBLEMS
from annotation.models import Benchmark, ImportJob, QAItem
from annotation.services.import_jobs import import_job_redispatch, import_job_run, import_jobs_without_task

ROW = {"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Does the head move?", "answer": "Yes"}


def rows_of(n: int, *, bad_every: int = 0) -> list[dict]:
    rows = [ROW | {"qid": f"SAD_{i:05d}", "video": f"clip_{i // 12:04d}.mp4"} for i in range(1, n + 1)]
    if bad_every:
        for i in range(bad_every - 1, n, bad_every):
            rows[i] = rows[i] | {"task": "CMAC"}
    return rows


def jsonl(rows) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def post_import(client, content: bytes, name="q.jsonl", **fields):
    upload = SimpleUploadedFile(name, content)
    return client.post(reverse("api-import"), {"benchmark": "Jobbed", "questions": upload, **fields})


def test_the_api_answers_202_with_the_job_url_and_the_job_reports_progress_and_the_summary(
    client, admin_user, tasks_in_process
):
    client.force_login(admin_user)
    with tasks_in_process():
        response = post_import(client, jsonl(rows_of(2500)))
        assert response.status_code == 202
        queued = response.json()
        assert queued["status"] == "queued" and queued["url"] == reverse("api-import-job", args=[queued["id"]])
        job = ImportJob.objects.get(pk=queued["id"])
        assert default_storage.exists(job.questions_file)  # the upload is stored, not held by the request
        assert queued["bytes_total"] == default_storage.size(job.questions_file)
    done = client.get(queued["url"]).json()
    assert (done["status"], done["rows_read"], done["problem_count"], done["rows_written"]) == ("done", 2500, 0, 2500)
    assert done["bytes_read"] == done["bytes_total"] and done["percent"] == 100 and done["attempts"] == 1
    assert done["summary"]["items_created"] == 2500 and done["summary"]["videos_created"] == 209
    assert QAItem.objects.filter(benchmark__name="Jobbed").count() == 2500
    assert not default_storage.exists(job.questions_file)  # removed once imported


def test_a_file_with_many_problems_writes_nothing_and_lists_the_first_thousand_with_totals_per_kind(
    client, admin_user, tasks_in_process
):
    rows = rows_of(3000, bad_every=2) + [ROW | {"qid": "SAD_00001"}]  # 1,500 unknown tasks, 1 duplicate
    client.force_login(admin_user)
    with tasks_in_process():
        response = post_import(client, json.dumps(rows).encode(), name="q.json")
    job_response = client.get(response["Location"])
    job = job_response.json()
    assert (job["status"], job["rows_read"], job["rows_written"]) == ("rejected", 3001, 0)
    assert job["problem_count"] == 1501 and job["problems_by_kind"] == {"task": 1500, "duplicate": 1}
    assert len(job["problems"]) == LISTED_PROBLEMS
    assert job["problems"][0] == {
        "file": "q.json",
        "message": "unknown task 'CMAC'; expected one of CMAR, FMAR, SAD, MAD, MAS, PPR, MADU, MARE",
        "row": 2,
        "qid": "SAD_00002",
        "field": "task",
        "kind": "task",
    }
    assert len(job_response.content) < 300_000
    assert not Benchmark.objects.exists() and not QAItem.objects.exists()


def test_a_file_of_numbers_gives_a_small_answer(client, admin_user, tasks_in_process):
    content = json.dumps(list(range(300_000))).encode()  # 2.2 MB: once a 131 MB answer
    client.force_login(admin_user)
    with tasks_in_process():
        response = post_import(client, content, name="numbers.json")
    job_response = client.get(response["Location"])
    job = job_response.json()
    assert job["problem_count"] == 300_000 and job["problems_by_kind"] == {"row": 300_000}
    assert len(job["problems"]) == LISTED_PROBLEMS and len(job_response.content) < 200_000
    assert not Benchmark.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("deep_row.json", b"[" + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]"),
        ("deep.jsonl", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ],
)
def test_a_document_nested_100000_deep_is_a_clear_problem(db, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", "--in-process", str(path), "--benchmark", "Deep", stderr=io.StringIO())
    assert f"{path}, row 1: nested more than 32 levels deep" in str(raised.value)
    assert not Benchmark.objects.exists()


def test_rows_after_a_too_deep_one_are_still_checked(db, tmp_path):
    path = tmp_path / "q.jsonl"
    good = json.dumps(ROW)
    path.write_text("\n".join([good, "[" * 40 + "]" * 40, json.dumps(ROW | {"task": "X", "qid": "SAD_0003"})]))
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", "--in-process", str(path), "--benchmark", "Deep", stderr=io.StringIO())
    assert "2 problems;" in str(raised.value) and "By kind: depth 1, task 1" in str(raised.value)


def test_the_command_prints_progress_and_the_summary(db, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(jsonl(rows_of(2500)))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_benchmark", "--in-process", str(path), "--benchmark", "Cmd", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["items_created"] == 2500
    lines = err.getvalue().splitlines()
    assert "import validating: 1000 rows read, 0 problems, 0 rows written" in lines
    assert lines[-1] == "import writing: 2500 rows read, 0 problems, 2500 rows written"
    assert ImportJob.objects.get().status == "done"


def test_a_duplicate_delivery_does_nothing_and_a_lost_workers_job_is_dispatched_again(
    db, admin_user, django_capture_on_commit_callbacks
):
    job = ImportJob.objects.create(benchmark_name="B", source="s", status="validating", heartbeat_at=timezone.now())
    assert import_job_run(job_id=job.pk).status == "validating"  # a live worker has it: left alone
    assert job not in import_jobs_without_task()
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    assert list(import_jobs_without_task()) == [job]
    with django_capture_on_commit_callbacks() as sent:
        assert import_job_redispatch(job_id=job.pk)
    assert len(sent) == 1 and ImportJob.objects.get(pk=job.pk).status == "queued"
    ImportJob.objects.filter(pk=job.pk).update(status="done")
    assert not import_job_redispatch(job_id=job.pk)


def test_the_import_page_shows_a_progress_bar_then_the_result(client, admin_user, tasks_in_process):
    client.force_login(admin_user)
    with tasks_in_process():
        response = client.post(
            reverse("import-start"),
            {"benchmark": "Paged", "questions": SimpleUploadedFile("q.jsonl", jsonl(rows_of(24)))},
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert '<progress max="100" value="0">' in page and 'hx-trigger="every 1s"' in page
        assert "<script" not in page.split("<main>")[1] and "style=" not in page
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<section id="import-progress"') and "hx-trigger" not in fragment
    assert "Imported: 24 items created" in fragment and '<dd id="rows-written">24</dd>' in fragment


def test_the_import_page_lists_the_problems_of_a_rejected_file(client, admin_user, tasks_in_process):
    client.force_login(admin_user)
    with tasks_in_process():
        response = client.post(
            reverse("import-start"),
            {"benchmark": "Paged", "questions": SimpleUploadedFile("q.jsonl", jsonl(rows_of(5, bad_every=5)))},
        )
    page = client.get(response["Location"]).content.decode()
    assert "1 problem; nothing was imported." in page and "By kind: task 1." in page
    assert "q.jsonl, row 5 (SAD_00005), field 'task': unknown task &#x27;CMAC&#x27;" in page


def test_the_import_page_refuses_a_form_without_files(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("import-start"), {"benchmark": "Nothing"})
    assert (
        response.status_code == 400 and "Upload a question file, a caption file, or both." in response.content.decode()
    )
    assert not ImportJob.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_job_sent_by_the_api(celery_worker, client, admin_user, wait_for):
    client.force_login(admin_user)
    response = post_import(client, jsonl(rows_of(3000)))
    assert response.status_code == 202
    url = response["Location"]
    wait_for(lambda: client.get(url).json()["status"] in ("done", "rejected", "failed"), seconds=120)
    job = client.get(url).json()
    assert (job["status"], job["rows_read"], job["rows_written"], job["error"]) == ("done", 3000, 3000, "")
    assert QAItem.objects.filter(benchmark__name="Jobbed").count() == 3000
    assert celery_worker.poll() is None


@pytest.mark.django_db(transaction=True)
def test_the_command_waits_for_the_worker_and_prints_the_result(celery_worker, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(jsonl(rows_of(30)) + b"\n" + json.dumps(ROW | {"qid": "bad qid"}).encode())
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_benchmark", str(path), "--benchmark", "Waited", stderr=err)
    assert "1 problem; nothing was imported. By kind: qid 1." in str(raised.value)
    assert "row 31 (bad qid), field 'qid'" in str(raised.value)
    assert err.getvalue().startswith("import job ") and not Benchmark.objects.filter(name="Waited").exists()
    path.write_bytes(jsonl(rows_of(30)))
    out = io.StringIO()
    call_command("import_benchmark", str(path), "--benchmark", "Waited", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["items_created"] == 30


def test_the_openapi_schema_describes_the_202_and_the_job(client, admin_user):
    client.force_login(admin_user)
    schema = client.get(reverse("api-schema"), {"format": "json"}, headers={"Accept": "application/json"})
    paths = json.loads(schema.content)["paths"]
    assert "202" in paths["/api/imports/"]["post"]["responses"]
    job = paths["/api/imports/{id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert job == {"$ref": "#/components/schemas/ImportJob"}
