"""Temporal and visual probes: single-frame, shuffled-K, reversed-K and choices-only runs against a local
chat endpoint, the frames they send (read from the pixels), the flags and the gaps they give."""

import re

import pytest
from django.urls import reverse

from annotation.frames.sampling import run_sampling, shuffled, uniform_indices
from annotation.models import Prediction, QualityFlag
from annotation.predictors.prompts import CHOICES_ONLY_NOTE
from annotation.selectors import benchmark_report
from annotation.selectors.probes import probe_rows
from annotation.services.baselines import run_prepare
from annotation.services.model_flags import MOTION_TASKS, SEQUENCE_TASKS

UNIFORM_8 = [3, 11, 18, 26, 33, 41, 48, 56]  # floor((2i + 1) * 60 / 16)
QID = re.compile(r"\b([A-Z]+_\d{4})\b")


@pytest.mark.parametrize(
    ("name", "stored", "order"),
    [
        ("mac2026", "mac2026", "ordered"),
        ("uniform-8", "uniform-8", "ordered"),
        ("single-frame", "single-frame", "ordered"),
        ("reversed-8", "uniform-8", "reversed"),
        ("shuffled-16", "uniform-16", "shuffled"),
        ("reversed-mac2026", "mac2026", "reversed"),
    ],
)
def test_a_run_sampling_names_stored_frames_and_their_order(name, stored, order):
    sampling = run_sampling(name)
    assert (sampling.stored, sampling.order) == (stored, order)
    assert sampling.is_probe == (name not in ("mac2026", "uniform-8"))


@pytest.mark.parametrize("name", ["uniform-0", "reversed-", "shuffled-x", "backwards-8", "single-frame-2", ""])
def test_an_unknown_sampling_is_refused(name):
    with pytest.raises(ValueError, match="unknown sampling"):
        run_sampling(name)


def test_a_shuffled_order_is_seeded_and_never_the_original():
    orders = {tuple(shuffled([1, 2], seed=str(seed))) for seed in range(50)}
    assert orders == {(2, 1)}  # two frames: the only other order
    assert shuffled(UNIFORM_8, seed="a") == shuffled(UNIFORM_8, seed="a") != shuffled(UNIFORM_8, seed="b")
    assert shuffled([5], seed="a") == [5]


def test_the_motion_and_sequence_tasks():
    assert MOTION_TASKS == ["SAD", "MAD", "MAS", "PPR"] and SEQUENCE_TASKS == ("MAS",)


def test_each_strategy_sends_the_frames_it_says(
    benchmark, index_clip, make_item, chat_endpoint, reply_with, shown_frames, tasks_in_process
):
    assert uniform_indices(60, 8) == UNIFORM_8 and index_clip.model_view_indices["single-frame"] == [30]
    make_item("FMAR_0001", task="FMAR", question="Which label fits FMAR_0001?")
    make_item("MAS_0001", task="MAS", question="Does the head turn before the hand rises in MAS_0001?")

    def run(server, predictor: str, **settings) -> list[dict]:
        before = len(server.requests)
        with tasks_in_process():
            run_prepare(
                benchmark=benchmark,
                predictor=predictor,
                name=f"{predictor} {settings}",
                settings={"base_url": server.base_url, "model": "m", **settings},
            )
        return [r["json"] for r in server.requests[before:]]

    with chat_endpoint(lambda request, call: (200, reply_with("A"), 0.0)) as server:
        sent = {
            name: run(server, "openai-compatible", sampling=name)
            for name in ("uniform-8", "single-frame", "reversed-8")
        }
        sent["shuffled-8"] = run(server, "openai-compatible", sampling="shuffled-8", seed=1)
        sent["shuffled-8, seed 2"] = run(server, "openai-compatible", sampling="shuffled-8", seed=2)
        sent["choices-only"] = run(server, "choices-only")
        sent["blind"] = run(server, "blind")

    def frames(name: str) -> list[list[int]]:
        return [shown_frames(request) for request in sent[name]]

    assert frames("uniform-8") == [UNIFORM_8, UNIFORM_8]  # both questions of the clip
    assert frames("single-frame") == [[30], [30]]  # the middle frame
    assert frames("reversed-8") == [UNIFORM_8[::-1]] * 2
    order, other_seed = frames("shuffled-8")[0], frames("shuffled-8, seed 2")[0]
    assert frames("shuffled-8") == [order, order] and sorted(order) == UNIFORM_8 and order != UNIFORM_8
    assert order == shuffled(UNIFORM_8, seed="1:clip_001") and other_seed != order and sorted(other_seed) == UNIFORM_8
    # the stored prompt names the same indices as the pixels show
    recorded = Prediction.objects.get(run__settings__sampling="reversed-8", item__qid="MAS_0001").prompt
    assert [part["image_url"]["url"].split(", ")[1] for part in recorded[1]["content"][:-1]] == [
        f"index {i}" for i in UNIFORM_8[::-1]
    ]

    [choices_only] = sent["choices-only"]  # only the choice item: without its question a yes/no item is nothing
    system, user = choices_only["messages"]
    assert system["content"].endswith(CHOICES_ONLY_NOTE) and shown_frames(choices_only) == []
    assert user["content"] == [
        {"type": "text", "text": "A. Nodding\nB. Shaking head\nC. Waving\nD. Shrugging\nE. Tiptoe"}
    ]
    assert [shown_frames(request) for request in sent["blind"]] == [[], []]
    blind_texts = sorted(request["messages"][1]["content"][0]["text"] for request in sent["blind"])
    assert blind_texts[0].startswith("Does the head turn") and blind_texts[1].startswith("Which label fits FMAR_0001?")


# What each scripted model answers, by the frames it is shown: (ordered, reversed, single frame)
SCRIPT = {
    "m1": {
        "MAS_0001": ("Yes", "Yes", "No"),  # right in order, the same reversed
        "MAS_0002": ("Yes", "No", "No"),  # right in order, flips reversed: this model reads the order
        "MAS_0003": ("Yes", "No", "Yes"),  # wrong in order (key No)
        "SAD_0001": ("Yes", "Yes", "Yes"),  # right from the middle frame
        "SAD_0002": ("Yes", "Yes", "Yes"),
        "SAD_0003": ("Yes", "No", "No"),
        "FMAR_0001": ("A", "A", "A"),  # right from one frame, but FMAR names a label: no motion flag
    },
    "m2": {
        "MAS_0001": ("Yes", "Yes", "No"),
        "MAS_0002": ("No", "No", "No"),  # wrong in order: says nothing about reversal
        "MAS_0003": ("Yes", "Yes", "Yes"),
        "SAD_0001": ("Yes", "Yes", "Yes"),
        "SAD_0002": ("Yes", "Yes", "No"),  # one single-frame run wrong: not every one is right
        "SAD_0003": ("Yes", "No", "No"),
        "FMAR_0001": ("A", "B", "A"),
    },
}
KEYS = {"MAS_0001": "Yes", "MAS_0002": "Yes", "MAS_0003": "No", "SAD_0001": "Yes", "SAD_0002": "Yes"}
KEYS |= {"SAD_0003": "Yes", "FMAR_0001": "A"}
BLIND = {"SAD_0001": "No", "SAD_0002": "No", "SAD_0003": "No", "MAS_0001": "No", "FMAR_0001": "A"}


def scripted(shown_frames, reply_with):
    def answer(request, call):
        text = request["messages"][-1]["content"][-1]["text"]
        qid = QID.search(text).group(1)
        frames = shown_frames(request)
        if not frames:
            return 200, reply_with(BLIND.get(qid, "Yes")), 0.0
        condition = 2 if len(frames) == 1 else 0 if frames == sorted(frames) else 1
        return 200, reply_with(SCRIPT[request["model"]][qid][condition]), 0.0

    return answer


@pytest.fixture
def probed(benchmark, index_clip, make_item, chat_endpoint, reply_with, shown_frames, tasks_in_process):
    """Two models, each run in order (uniform-8), reversed-8 and single-frame; m1 also blind."""
    for qid, key in KEYS.items():
        task = qid.split("_")[0]
        make_item(qid, task=task, question=f"What about {qid}?", answer=key)
    with chat_endpoint(scripted(shown_frames, reply_with)) as server:
        for model in ("m1", "m2"):
            for sampling in ("uniform-8", "reversed-8", "single-frame"):
                with tasks_in_process():
                    run_prepare(
                        benchmark=benchmark,
                        predictor="openai-compatible",
                        name=f"{model} {sampling}",
                        settings={"base_url": server.base_url, "model": model, "sampling": sampling},
                    )
        with tasks_in_process():
            run_prepare(
                benchmark=benchmark,
                predictor="blind",
                name="m1 blind",
                settings={"base_url": server.base_url, "model": "m1"},
            )
    return benchmark


def test_probe_flags_follow_from_the_scripted_replies(probed):
    open_flags = set(QualityFlag.objects.filter(status="open").values_list("item__qid", "kind"))
    probe_flags = {(qid, kind) for qid, kind in open_flags if kind in ("order_insensitive", "single_frame_solvable")}
    assert probe_flags == {("MAS_0001", "order_insensitive"), ("SAD_0001", "single_frame_solvable")}
    flag = QualityFlag.objects.get(kind="order_insensitive")
    assert flag.details == {"models": ["m1", "m2"]} and "answer the same with the frames reversed" in flag.message
    assert QualityFlag.objects.get(kind="single_frame_solvable").message == (
        "Every single-frame run (2: m1, m2) answers 'Yes' right from the middle frame alone, although SAD asks "
        "about motion."
    )
    # Probe runs are not vision runs: SAD_0003's four probe answers 'No' dispute nothing
    assert ("SAD_0003", "key_disputed") not in open_flags and ("MAS_0003", "all_models_wrong") in open_flags


def test_the_report_shows_the_visual_and_temporal_gaps_per_model_and_task(probed, as_role):
    rows = {(row.model, row.task): row for row in probe_rows(benchmark_report(benchmark=probed))}
    assert set(rows) == {("m1", "SAD"), ("m1", "MAS"), ("m1", "FMAR"), ("m2", "SAD"), ("m2", "MAS"), ("m2", "FMAR")}

    def accuracy(model: str, task: str, condition: int) -> float:
        qids = [qid for qid in KEYS if qid.startswith(task)]
        return 100 * sum(SCRIPT[model][qid][condition] == KEYS[qid] for qid in qids) / len(qids)

    def blind_accuracy(task: str) -> float:
        qids = [qid for qid in KEYS if qid.startswith(task)]
        return 100 * sum(BLIND.get(qid, "Yes") == KEYS[qid] for qid in qids) / len(qids)

    for (model, task), row in rows.items():
        assert row.vision.value == pytest.approx(accuracy(model, task, 0)) and row.vision.label == "uniform-8"
        assert row.single_frame.value == pytest.approx(accuracy(model, task, 2))
        [temporal] = row.temporal
        assert (temporal.ordered.label, temporal.probe.label) == ("uniform-8", "reversed-8")
        assert temporal.gap == pytest.approx(accuracy(model, task, 0) - accuracy(model, task, 1))
        if model == "m1":
            assert row.visual_gap == pytest.approx(accuracy(model, task, 0) - blind_accuracy(task))
        else:
            assert row.blind is None and row.visual_gap is None
    assert rows[("m2", "FMAR")].temporal[0].gap == 100.0 and rows[("m1", "SAD")].temporal[0].gap == pytest.approx(
        100 / 3
    )

    page = as_role("reviewer").get(reverse("benchmark-report", args=[probed.pk])).content.decode()
    table = page.split('id="probes"', 1)[1].split("</table>", 1)[0]
    m1_sad = table.split("<td>m1</td><td>SAD</td>", 1)[1].split("</tr>", 1)[0]
    assert "uniform-8 100.0 − reversed-8 66.7 = <b>33.3</b>" in m1_sad
    assert re.findall(r'<td class="num">(?:<span[^>]*>)?([^<]*)', m1_sad)[:3] == ["100.0", "0.0", "100.0"]
