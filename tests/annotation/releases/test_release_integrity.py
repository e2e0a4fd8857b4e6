"""A release whose stored rows no longer give its digest is never served as intact:
verify_releases lists it, export_release writes nothing, the API refuses or cuts the stream short."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.exports.release_export import export_chunks
from annotation.selectors import release_rows
from annotation.services.release_integrity import ReleaseDamaged
from annotation.services.releases import release_create, release_manifest

pytestmark = pytest.mark.postgresql


@pytest.fixture
def release(benchmark, accepted_items, admin_user):
    return release_create(benchmark=benchmark, tag="v1.0", user=admin_user)


def export_url(release) -> str:
    return f"/api/releases/{release.pk}/export/"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_intact_release_passes_verify_export_and_api(release, tmp_path, capsys, as_role):
    call_command("verify_releases")
    assert (
        f"Test bench v1.0 (#{release.pk}): intact, 5 items, sha256 {release.sha256} (4 export digests match)"
        in capsys.readouterr().out
    )
    call_command("export_release", "Test bench", "v1.0", "--out", str(tmp_path / "v1.json"))
    assert sha256((tmp_path / "v1.json").read_bytes()) == release.export_sha256["mac"]
    assert [p.name for p in tmp_path.iterdir()] == ["v1.json"]
    response = as_role("reviewer").get(export_url(release), {"format": "jsonl"})
    assert response.status_code == 200
    assert sha256(b"".join(response.streaming_content)) == release.sha256 == response["ETag"].strip('"')


def test_deleted_rows_fail_verify_and_every_export_is_refused(release, behind_the_triggers, tmp_path, capsys, as_role):
    assert (
        behind_the_triggers(
            "DELETE FROM annotation_releaseitem WHERE release_id = %s AND qid = 'SAD_0001'", [release.pk]
        )
        == 1
    )
    with pytest.raises(CommandError, match="1 of 1 release does not match what was cut") as failed:
        call_command("verify_releases")
    assert failed.value.returncode == 1
    damage = capsys.readouterr().err
    assert f"Test bench v1.0 (#{release.pk}): DAMAGED: items expected 5, found 4; mac sha256 expected " in damage
    assert f"jsonl sha256 expected {release.sha256}, found " in damage

    with pytest.raises(
        CommandError,
        match=rf"release Test bench v1.0 \(#{release.pk}\) does not match what was cut: "
        r"items expected 5, found 4; .*nothing was written to",
    ):
        call_command("export_release", "Test bench", "v1.0", "--out", str(tmp_path / "v1.json"))
    assert list(tmp_path.iterdir()) == []

    client = as_role("reviewer")
    for headers in ({}, {"If-None-Match": f'"{release.export_sha256["mac"]}"'}):
        response = client.get(export_url(release), {"format": "mac"}, headers=headers)
        assert response.status_code == 503 and "ETag" not in response
        body = response.json()
        assert body["release"] == {"id": release.pk, "benchmark": "Test bench", "tag": "v1.0"}
        assert body["problems"] == ["items expected 5, found 4"] and "verify_releases" in body["detail"]


def test_a_changed_row_is_caught_by_its_digest_and_the_stream_never_ends(
    release, behind_the_triggers, tmp_path, capsysbinary, as_role, monkeypatch
):
    behind_the_triggers(
        "UPDATE annotation_releaseitem SET content = jsonb_set(content, '{answer}', '\"No\"')"
        " WHERE release_id = %s AND qid = 'SAD_0001'",
        [release.pk],
    )
    with pytest.raises(CommandError, match="does not match what was cut"):
        call_command("verify_releases")
    damage = capsysbinary.readouterr().err.decode()
    assert "items expected" not in damage and "mac sha256 expected" in damage and "json sha256 expected" in damage
    assert "questions-only" not in damage  # that export has no answer key: it is still exactly as cut

    with pytest.raises(CommandError, match="mac sha256 expected .*nothing was written to"):
        call_command("export_release", "Test bench", "v1.0", "--format", "mac", "--out", str(tmp_path / "v1.json"))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CommandError, match="the end of the output was withheld"):
        call_command("export_release", "Test bench", "v1.0", "--format", "mac")
    assert capsysbinary.readouterr().out == b"["  # to standard output: the rows' chunk held back

    client = as_role("reviewer")
    response = client.get(export_url(release), {"format": "mac"})  # under 1 MiB: checked whole before it starts
    assert response.status_code == 503 and "ETag" not in response
    assert response.json()["problems"] == [
        f"mac sha256 expected {release.export_sha256['mac']}, found "
        f"{sha256(b''.join(export_chunks('mac', release_manifest(release), release_rows(release=release))))}"
    ]
    assert client.get(export_url(release), {"format": "questions-only"}).status_code == 200

    monkeypatch.setattr("annotation.api.releases.READ_AHEAD_BYTES", 1)  # as past the first MiB of a large export
    response = client.get(export_url(release), {"format": "mac"})
    assert response.status_code == 200 and response["ETag"] == f'"{release.export_sha256["mac"]}"'
    received = []
    with pytest.raises(ReleaseDamaged, match="mac sha256 expected"):
        for chunk in response.streaming_content:
            received.append(chunk)
    assert received == [b"["]  # the last chunk (the rows and the closing bracket) is never sent
