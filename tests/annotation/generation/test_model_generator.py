"""The model generator against a local chat-completions server: good, malformed and
schema-violating replies; keys as asked; retries bounded; failures reported whole."""

import json

import pytest

from annotation.domain import lint
from annotation.generation.base import CaptionedClip, GenerationFailed
from annotation.generation.model import ModelGenerator
from annotation.generation.stems import STEMS
from annotation.predictors.chat import ChatPredictor

CLIP = CaptionedClip(
    clip_name="take_001",
    coarse_label="B",
    fine_label="B1",
    dominant_part="head",
    other_parts=("right hand",),
    phase_middle="the head reaches its lowest point",
    trend="repetitive",
)


def generator_at(server, **options) -> ModelGenerator:
    chat = ChatPredictor.from_settings(
        {"base_url": server.base_url, "model": "local-llm", "max_retries": 0, "timeout": 10}
    )
    return ModelGenerator(chat=chat, **options)


def task_of(request) -> str:
    return request["messages"][0]["content"].rsplit("Task: ", 1)[1].rstrip(".")


def test_good_replies_give_every_task_with_the_keys_asked_for(chat_endpoint, faithful_model):
    with chat_endpoint(faithful_model()) as server:
        generator = generator_at(server, seed=2)
        items = generator.generate(CLIP)
    assert generator.source == "model-generator 1.0 (local-llm)"
    assert [i.task for i in items] == ["SAD", "SAD", "MAD", "MAD", "MAS", "MAS", "PPR", "PPR", "MADU", "MARE"]
    for task in ("SAD", "MAD", "MAS", "PPR"):
        assert sorted(i.answer for i in items if i.task == task) == ["No", "Yes"]
    madu, mare = items[-2:]
    assert madu.question in STEMS["MADU"] and mare.question in STEMS["MARE"]
    assert lint.mare_labels(mare.answer) == ("Head", "Nodding")
    assert len(server.requests) == 6  # one request per task
    user = server.requests[0]["json"]["messages"][1]["content"]
    assert isinstance(user, str) and "- Fine-grained micro-action: Nodding" in user  # the caption, text only


def test_the_keys_asked_for_are_balanced_and_vary_in_order(chat_endpoint, faithful_model):
    with chat_endpoint(faithful_model()) as server:
        generator = generator_at(server)
        orders = {
            tuple(
                i.answer
                for i in generator.generate(
                    CaptionedClip(clip_name=f"take_{n}", coarse_label="B", fine_label="B1", dominant_part="head"),
                    tasks=("SAD",),
                )
            )
            for n in range(12)
        }
    assert orders == {("Yes", "No"), ("No", "Yes")}  # the first question is not always the Yes one


def test_a_malformed_reply_is_retried_with_the_problem_named(chat_endpoint, faithful_model):
    spoil = lambda request, call: '{"questions": [{"question": "Does the head' if call == 1 else None  # noqa: E731
    with chat_endpoint(faithful_model(spoil)) as server:
        items = generator_at(server).generate(CLIP, tasks=("SAD",))
    assert [i.task for i in items] == ["SAD", "SAD"]
    assert len(server.requests) == 2
    retry = server.requests[1]["json"]["messages"]
    assert retry[2]["role"] == "assistant" and "not a JSON object" in retry[3]["content"]


@pytest.mark.parametrize(
    "reply, problem",
    [
        ('{"questions": [{"question": "Does the head move down?", "answer": "Maybe"}]}', "is not one of"),
        ('{"questions": "none"}', "is not of type 'array'"),
        ('{"answers": []}', "'questions' is a required property"),
        (
            "```json\n"
            + json.dumps(
                {
                    "questions": [
                        {"question": "Does the head move down?", "answer": "Yes"},
                        {"question": "Does the left foot move up?", "answer": "Yes", "extra": 1},
                    ]
                }
            )
            + "\n```",
            "Additional properties",
        ),
        ("I would rather not.", "not a JSON object"),
        (
            json.dumps(
                {
                    "questions": [
                        {"question": "Does the head <img src=x onerror=alert(1)> move down?", "answer": "Yes"},
                        {"question": "Does the left foot\u0000 move up?", "answer": "No"},
                    ]
                }
            ),
            "questions/0/question: contains markup '<img src=x onerror=alert(1)> move down?'",
        ),
    ],
)
def test_schema_violating_replies_fail_the_clip_after_the_bounded_attempts(
    chat_endpoint, faithful_model, reply, problem
):
    with (
        chat_endpoint(faithful_model(lambda request, call: reply)) as server,
        pytest.raises(GenerationFailed, match="SAD: no valid reply in 3 attempts") as failure,
    ):
        generator_at(server, attempts=3).generate(CLIP, tasks=("SAD", "MAD"))
    assert problem in str(failure.value)
    assert len(server.requests) == 3  # MAD is never asked: the clip has failed


def test_keys_other_than_asked_leaked_labels_and_wrong_mare_labels_are_invalid(chat_endpoint, faithful_model):
    def spoil(request, call):
        task = task_of(request)
        retried = len(request["messages"]) > 2
        if task == "SAD" and not retried:
            return json.dumps(
                {
                    "questions": [
                        {"question": "Does the head move down in the first phase?", "answer": "Yes"},
                        {"question": "Does the head rise in the late phase?", "answer": "Yes"},
                    ]
                }
            )
        if task == "MAD" and not retried:
            return json.dumps(
                {
                    "questions": [
                        {"question": "Is the person nodding with the right hand still?", "answer": a}
                        for a in ("Yes", "No")
                    ]
                }
            )
        if task == "MARE":
            return json.dumps(
                {
                    "answer": "The head goes down and up in a steady rhythm, so it is a bow. "
                    "**[Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Bowing head**"
                }
            )
        return None

    with chat_endpoint(faithful_model(spoil)) as server:
        generator = generator_at(server, attempts=2)
        assert len(generator.generate(CLIP, tasks=("SAD", "MAD"))) == 4
        with pytest.raises(GenerationFailed, match=r"MARE: .*must end with the label line .*Head.*Nodding"):
            generator.generate(CLIP, tasks=("MARE",))
    retries = [r["json"]["messages"][-1]["content"] for r in server.requests if len(r["json"]["messages"]) > 2]
    assert any("the answer keys are ['Yes', 'Yes']" in text for text in retries)
    assert any("names the micro-action label 'Nodding'" in text for text in retries)
    assert any("two questions ask the same" in text for text in retries)


def test_a_madu_reference_naming_the_label_or_its_code_is_refused_and_retried(chat_endpoint, faithful_model):
    naming = "The head lowers and rises twice in a steady rhythm, nodding (label Nodding, code B1), the hand still."
    coded = "The head lowers and rises twice in a steady rhythm, as in B1, while the right hand stays still."
    replies = {1: naming, 2: coded}
    spoil = lambda request, call: json.dumps({"answer": replies[call]}) if call in replies else None  # noqa: E731
    with chat_endpoint(faithful_model(spoil)) as server:
        [madu] = generator_at(server, attempts=3).generate(CLIP, tasks=("MADU",))
    assert madu.answer.startswith("The dominant part moves as the caption says") and len(server.requests) == 3
    first, second = (r["json"]["messages"][-1]["content"] for r in server.requests[1:])
    assert "the MADU reference answer names the micro-action label 'Nodding' ('" in first
    assert "(label Nodding, code B1)" in first and "MADU does not ask for the label" in first
    assert (
        "the MADU reference answer carries the label code B1 ('...d rises twice in a steady rhythm, as in B1, whi"
        in second
    )
    assert (
        "name neither the micro-action label ('Nodding') nor any label code"
        in server.requests[0]["json"]["messages"][1]["content"]
    )


def test_a_reference_that_keeps_naming_the_label_fails_the_clip_naming_task_and_text(chat_endpoint, faithful_model):
    naming = json.dumps({"answer": "The head lowers and rises: bowing head (label Bowing head, code B5), twice over."})
    spoil = lambda request, call: naming if task_of(request) == "MADU" else None  # noqa: E731
    bowing = CaptionedClip(clip_name="take_002", coarse_label="B", fine_label="B5", dominant_part="head")
    with (
        chat_endpoint(faithful_model(spoil)) as server,
        pytest.raises(
            GenerationFailed, match=r"^MADU: no valid reply in 2 attempts; the last one: the MADU "
        ) as failure,
    ):
        generator_at(server, attempts=2).generate(bowing, tasks=("MADU", "MARE"))
    assert "names the micro-action label 'Bowing head' (" in str(failure.value)
    assert "bowing head (label Bowing head, code B5)" in str(failure.value)
    assert len(server.requests) == 2  # MARE is never asked: the clip has failed


def test_an_endpoint_error_fails_the_clip_at_once(chat_endpoint):
    with (
        chat_endpoint(lambda request, call: (500, {"error": {"message": "model crashed"}}, 0)) as server,
        pytest.raises(GenerationFailed, match="SAD: the endpoint failed: InternalServerError"),
    ):
        generator_at(server).generate(CLIP, tasks=("SAD",))
    assert len(server.requests) == 1
