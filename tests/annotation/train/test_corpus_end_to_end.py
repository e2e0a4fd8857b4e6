"""A corpus that shares a participant with an evaluation benchmark, from import to a fine-tuning folder, as the
README tells a new user: the release is refused, the shared clips are excluded over the API, the captions and
then the QA rows are reviewed in queues (the QA rows blind), the release is cut, and the ``-qa`` exports carry
the reviewed QA turns in the sharegpt shape, questions before the caption that states their answers."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.exports.sft_export import INSTRUCTION
from annotation.models import Benchmark, Caption, QAItem, QualityFlag
from annotation.services.flags import flag_waive
from annotation.services.importing import ImportFile, benchmark_import
from review.models import QueueSlot
from review.services.blind_answers import blind_answer_record, blind_questions_left
from review.services.claims import NothingToClaim, claim_next
from review.services.queues import queue_create
from review.services.reviews import caption_review_record, review_record

CMAR_OPTIONS = "\nA. Body\nB. Head\nC. Upper limb\nD. Lower limb\nE. Body-hand\nF. Head-hand\nG. Leg-hand"


def cmar_row(clip: str, n: int) -> dict:
    return {
        "video_name": clip,
        "task": "CMAR",
        "qid": f"CMAR_{n:04d}",
        "answer": "B",
        "question": "Which body part?" + CMAR_OPTIONS,
    }


def sharegpt_checked(out, fmt: str, dataset: str) -> list[dict]:
    """The folder's rows, checked as LLaMA-Factory's sharegpt converter reads them: the columns named in
    dataset_info.json, turns alternating user / assistant from a user turn, one placeholder per media file
    (all of them in the first turn), every media path a file of the folder."""
    info = json.loads((out / "dataset_info.json").read_text())[dataset]
    media_key = info["columns"].get("videos") or info["columns"]["images"]
    token = "<video>" if media_key == "videos" else "<image>"
    rows = [json.loads(line) for line in (out / info["file_name"]).read_text().splitlines()]
    for row in rows:
        assert set(row) == {"messages", media_key}
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["user", "assistant"] * (len(roles) // 2) and roles
        placeholders = [m["content"].count(token) for m in row["messages"]]
        assert placeholders[0] == sum(placeholders) == len(row[media_key]) > 0
        for path in row[media_key]:
            assert (out / path).is_file()
    return rows


@pytest.fixture
def shared_corpus(db, clip_folder, tasks_in_process, reviewer, train_rows, overlapping_eval):
    """'Train': clips of the corpus's first participant (also in 'Eval overlap') and two of another, each with
    CMAR, FMAR and SAD rows, imported and processed; nothing reviewed yet; machine flags waived."""
    own = [*train_rows.clips, f"{train_rows.people[1]}_40_70"]
    questions = [row for n, clip in enumerate(own, start=1) for row in train_rows.questions(clip, n)]
    questions += [cmar_row(clip, n) for n, clip in enumerate(own, start=1)]
    with tasks_in_process():
        benchmark_import(
            benchmark_name="Train",
            source="captioner 2.0",
            kind="train",
            captions=ImportFile("c.jsonl", train_rows.encode([train_rows.caption(clip) for clip in own])),
            questions=ImportFile("q.jsonl", train_rows.encode(questions)),
            videos_dir=clip_folder(own),
        )
    corpus = Benchmark.objects.get(name="Train")
    for flag in QualityFlag.objects.filter(benchmark=corpus, status="open"):
        flag_waive(flag=flag, user=reviewer, reason="test corpus")
    return corpus


def _review_captions(corpus, admin_user, annotator) -> int:
    queue = queue_create(benchmark=corpus, name="captions", created_by=admin_user, annotators=[annotator])
    for _ in range(queue.slots.count()):
        slot = claim_next(queue=queue, user=annotator)
        caption = Caption.objects.get(video_id=slot.video_id)
        caption_review_record(
            slot=slot, caption=caption, user=annotator, decision="accept", seen_version=caption.version
        )
    return queue.slots.count()


def _qa_queue(corpus, admin_user, annotators, name: str):
    return queue_create(
        benchmark=corpus,
        name=name,
        created_by=admin_user,
        annotators=annotators,
        filters={"tiers": ["perception", "comprehension"]},
    )


def _review_questions(corpus, admin_user, annotator) -> int:
    """A blind queue over the closed QA rows: the annotator answers each from the video, then accepts it."""
    queue = _qa_queue(corpus, admin_user, [annotator], "qa")
    for _ in range(queue.slots.count()):
        slot = claim_next(queue=queue, user=annotator)
        items = list(queue.questions_served(slot.video_id).order_by("qid"))
        for item in items:
            blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=annotator, answer=item.answer)
        assert blind_questions_left(slot=slot, user=annotator) == 0
        for item in items:
            item.refresh_from_db()
            review_record(slot=slot, item=item, user=annotator, decision="accept", seen_version=item.version)
        assert QueueSlot.objects.get(pk=slot.pk).completed_by == annotator
    return queue.slots.count()


def test_a_corpus_sharing_a_participant_is_released_without_its_clips_and_exports_reviewed_qa_turns(
    shared_corpus, client, reviewer, admin_user, annotator, make_user, train_rows, tmp_path, capsys
):
    release_args = ("create_release", "Train", "v1", "--user", admin_user.username, "--disjoint-from", "Eval overlap")
    with pytest.raises(CommandError, match=f"participant {train_rows.people[0]}.*exclude these clips"):
        call_command(*release_args)

    # the README's steps: list the participant's clips over the API, exclude each with a reason
    client.force_login(reviewer)
    listed = client.get(f"/api/videos/?benchmark={shared_corpus.pk}&participant={train_rows.people[0]}").json()
    shared = sorted(video["clip_name"] for video in listed["results"])
    assert shared == sorted(train_rows.clips[:2])
    for video in listed["results"]:
        response = client.post(
            f"/api/videos/{video['id']}/exclude/",
            {"reason": "participant also filmed for Eval overlap"},
            content_type="application/json",
        )
        assert response.status_code == 200 and response.json()["caption"]["review_status"] == "excluded"
    call_command("participant_overlap", "Train", "--against", "Eval overlap")  # exits 0 now
    assert "0 shared participants" in capsys.readouterr().out

    assert _review_captions(shared_corpus, admin_user, annotator) == 2  # the excluded clips are not served
    # someone else answers the QA rows blind: the caption's reviewer has seen the labels (and gets a clip once
    # per stage across the benchmark's queues)
    with pytest.raises(NothingToClaim):
        claim_next(queue=_qa_queue(shared_corpus, admin_user, [annotator], "qa, same person"), user=annotator)
    assert _review_questions(shared_corpus, admin_user, make_user("annotator", "second")) == 2
    accepted = QAItem.objects.filter(benchmark=shared_corpus, review_status="accepted")
    assert accepted.count() == 6 and not accepted.filter(video__participant_id=train_rows.people[0]).exists()

    call_command(*release_args)
    assert "2 clips, 6 QA items, no participant shared with Eval overlap" in capsys.readouterr().out
    release = shared_corpus.releases.get(tag="v1")
    assert release.export_sha256["sft-video-qa"] != release.export_sha256["sft-video"]

    out = tmp_path / "video-qa"
    call_command("export_sft", "Train", "v1", "--out", str(out), "--format", "sft-video-qa")
    rows = sharegpt_checked(out, "sft-video-qa", "train_v1")
    assert (
        hashlib.sha256((out / "sft-video-qa.jsonl").read_bytes()).hexdigest() == release.export_sha256["sft-video-qa"]
    )
    kept = sorted(c for c in [*train_rows.clips, f"{train_rows.people[1]}_40_70"] if c not in shared)
    assert [row["videos"] for row in rows] == [[f"media/{clip}.mp4"] for clip in kept]
    for row in rows:
        asked = [m["content"].removeprefix("<video>") for m in row["messages"][::2]]
        answered = [m["content"] for m in row["messages"][1::2]]
        assert [a.split("\n")[0] for a in asked] == [
            "Which body part?",  # CMAR before FMAR, whose options give the body part away
            "Which fine-grained label fits?",
            "Does the head move down?",
            INSTRUCTION,  # the caption, which states both labels, last
        ]
        assert answered[:3] == ["B", "A", "Yes"]
        assert answered[3].startswith("[Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Nodding")
        assert (out / row["videos"][0]).read_bytes()[4:8] == b"ftyp"

    frames = tmp_path / "frames-qa"
    call_command("export_sft", "Train", "v1", "--out", str(frames), "--format", "sft-frames-qa")
    for row in sharegpt_checked(frames, "sft-frames-qa", "train_v1"):
        assert len(row["messages"]) == 8
        assert all((frames / path).read_bytes()[:3] == b"\xff\xd8\xff" for path in row["images"])
