"""The fine-tuning export: JSONL conversations that parse, media paths that exist, bytes that match the digests."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.exports.sft_export import INSTRUCTION, caption_text


@pytest.fixture
def release(reviewed_corpus, eval_benchmark, admin_user):
    from annotation.services.releases import release_create

    return release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])


def exported(tmp_path, fmt, *extra):
    out = tmp_path / fmt
    call_command("export_sft", "Train", "v1", "--out", str(out), "--format", fmt, *extra)
    lines = (out / f"{fmt}.jsonl").read_bytes()
    return out, lines, [json.loads(line) for line in lines.decode().splitlines()]


def test_video_conversations_parse_and_every_clip_path_exists(release, tmp_path, train_rows, settings):
    from pathlib import Path

    out, raw, rows = exported(tmp_path, "sft-video")
    assert len(rows) == 3 and hashlib.sha256(raw).hexdigest() == release.export_sha256["sft-video"]
    for row, clip in zip(rows, sorted(train_rows.clips), strict=True):
        assert set(row) == {"messages", "videos"}
        assert row["videos"] == [f"media/{clip}.mp4"]
        user, assistant = row["messages"]
        assert user == {"role": "user", "content": "<video>" + INSTRUCTION}
        assert assistant["role"] == "assistant"
        assert assistant["content"].startswith(
            "[Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding\n"
        )
        assert "Early phase: head dips" in assistant["content"] and "Other body parts: neck" in assistant["content"]
        for path in row["videos"]:
            assert (out / path).is_file() and (out / path).read_bytes()[4:8] == b"ftyp"
        stored = Path(settings.MEDIA_ROOT) / release.clips.get(clip_name=clip).media["file"]
        assert (out / row["videos"][0]).stat().st_ino == stored.stat().st_ino  # hard-linked, not copied
    info = json.loads((out / "dataset_info.json").read_text())
    assert info == {
        "train_v1": {
            "file_name": "sft-video.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", "videos": "videos"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
        }
    }


def test_frame_conversations_have_one_image_token_per_existing_jpeg(release, tmp_path):
    out, raw, rows = exported(tmp_path, "sft-frames-qa", "--copy")
    assert hashlib.sha256(raw).hexdigest() == release.export_sha256["sft-frames-qa"]
    for row in rows:
        assert set(row) == {"messages", "images"} and row["images"]
        tokens = "<image>" * len(row["images"])
        for path in row["images"]:
            assert (out / path).read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["user", "assistant"] * 3  # the clip's 2 accepted QA items (FMAR before SAD), the caption
        assert row["messages"][0]["content"].startswith(tokens + "Which fine-grained label fits?")
        assert row["messages"][0]["content"].endswith(
            "\nA. Nodding\nB. Shaking head\nC. Waving\nD. Shrugging\nE. Tiptoe"
        )
        assert row["messages"][1]["content"] == "A"
        assert row["messages"][2:4] == [
            {"role": "user", "content": "Does the head move down?"},
            {"role": "assistant", "content": "Yes"},
        ]
        assert row["messages"][4]["content"] == INSTRUCTION  # the placeholders only once, in the first turn
        assert row["messages"][5]["content"].startswith("[Body part (coarse-grained)] Head")
        assert "".join(m["content"] for m in row["messages"]).count("<image>") == len(row["images"])


def test_the_api_stream_is_the_folder_jsonl(release, tmp_path, client, admin_user):
    _, raw, _ = exported(tmp_path, "sft-video-qa")
    client.force_login(admin_user)
    response = client.get(f"/api/releases/{release.pk}/export/?format=sft-video-qa")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-ndjson")
    assert b"".join(response.streaming_content) == raw
    assert response["ETag"] == f'"{release.export_sha256["sft-video-qa"]}"'
    again = client.get(f"/api/releases/{release.pk}/export/?format=sft-video-qa", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    default = client.get(f"/api/releases/{release.pk}/export/")  # a training corpus: sft-video
    assert default["ETag"] == f'"{release.export_sha256["sft-video"]}"'
    corpus = client.get(f"/api/releases/{release.pk}/export/?format=corpus-jsonl")
    first = json.loads(b"".join(corpus.streaming_content).decode().splitlines()[0])
    assert first["caption_text"] == caption_text(first["caption"]) and first["participant_id"]
    assert client.get(f"/api/releases/{release.pk}/export/?format=mac").status_code == 400


def test_the_folder_appears_whole_or_not_at_all(release, tmp_path, settings):
    from pathlib import Path

    from annotation.models import ReleaseClip

    clip_file = Path(settings.MEDIA_ROOT) / ReleaseClip.objects.order_by("position").last().media["file"]
    clip_file.write_bytes(b"changed")
    with pytest.raises(CommandError, match="gone or changed since the release; nothing was written"):
        call_command("export_sft", "Train", "v1", "--out", str(tmp_path / "ft"))
    assert not (tmp_path / "ft").exists() and not (tmp_path / ".ft.partial").exists()


def test_export_release_writes_a_train_format_and_refuses_an_eval_one(release, tmp_path):
    call_command("export_release", "Train", "v1", "--out", str(tmp_path / "corpus.jsonl"), "--format", "corpus-jsonl")
    assert hashlib.sha256((tmp_path / "corpus.jsonl").read_bytes()).hexdigest() == release.sha256
    with pytest.raises(CommandError, match="a train release exports as"):
        call_command("export_release", "Train", "v1", "--format", "mac")


def test_a_corpus_release_is_verified_and_a_damaged_one_is_exported_by_neither_command(
    release, behind_the_triggers, tmp_path, capsys
):
    exports = tmp_path / "exports"
    exports.mkdir()
    call_command("verify_releases")
    assert (
        f"Train v1 (#{release.pk}): intact, 3 clips, sha256 {release.sha256} (5 export digests match)"
        in capsys.readouterr().out
    )
    behind_the_triggers(
        "UPDATE annotation_releaseclip SET content = jsonb_set(content, '{description}', '\"Waves.\"')"
        " WHERE release_id = %s AND position = 1",
        [release.pk],
    )
    with pytest.raises(CommandError, match="sft-video sha256 expected .*; nothing was written"):
        call_command("export_sft", "Train", "v1", "--out", str(exports / "ft"))
    assert list(exports.iterdir()) == []
    behind_the_triggers("DELETE FROM annotation_releaseclip WHERE release_id = %s AND position = 3", [release.pk])
    with pytest.raises(CommandError, match="does not match what was cut"):
        call_command("verify_releases")
    assert "DAMAGED: clips expected 3, found 2; sft-video sha256 expected" in capsys.readouterr().err
    with pytest.raises(CommandError, match="clips expected 3, found 2; .*nothing was written to"):
        call_command("export_release", "Train", "v1", "--out", str(exports / "corpus.jsonl"))
    with pytest.raises(CommandError, match="clips expected 3, found 2; .*nothing was written"):
        call_command("export_sft", "Train", "v1", "--out", str(exports / "ft"))
    assert list(exports.iterdir()) == []


def test_a_corpus_on_s3_exports_the_same_bytes_copied_from_the_bucket(s3_bucket, release, tmp_path):
    """``s3_bucket`` comes first: the corpus's clips and frames are stored in the test bucket."""
    assert release.clips.exists() and all(c.media["file"] in s3_bucket.keys("clips/") for c in release.clips.all())
    for fmt in ("sft-video", "sft-frames-qa"):
        out, raw, rows = exported(tmp_path, fmt)  # no local file to hard-link: copied
        assert hashlib.sha256(raw).hexdigest() == release.export_sha256[fmt]
        media = [path for row in rows for path in row.get("videos", row.get("images", []))]
        assert media and all((out / path).stat().st_size > 0 for path in media)
    clip = release.clips.order_by("clip_name").first()
    assert (tmp_path / "sft-video" / f"media/{clip.clip_name}.mp4").read_bytes() == s3_bucket.read(clip.media["file"])
