"""The OpenAI-compatible predictor against a local server speaking the protocol."""

import base64
import io

import pytest
from PIL import Image

from annotation.predictors.base import ItemPrompt, PredictorError
from annotation.predictors.chat import ChatPredictor
from annotation.predictors.model_view import ModelFrame
from annotation.predictors.prompts import SYSTEM_PROMPTS

FMAR = ItemPrompt(
    item_id=1,
    qid="FMAR_0001",
    task="FMAR",
    question="Which fine-grained label fits?",
    options=["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"],
    video_id=7,
)


def jpeg(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (shade, shade, shade)).save(out, "JPEG", quality=95)
    return out.getvalue()


FRAMES = [ModelFrame(index=3 * n + 1, jpeg=jpeg(n * 30)) for n in range(8)]


def predictor(server, *, frames=lambda video_id: FRAMES, **kwargs):
    return ChatPredictor(base_url=server.base_url, model="local-vlm", api_key="sk-local", frames=frames, **kwargs)


def test_the_request_follows_the_mac_protocol(chat_endpoint, first_option):
    with chat_endpoint(first_option) as server:
        reply = predictor(server).predict(FMAR)
    [request] = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-local"
    body = request["json"]
    assert (body["model"], body["temperature"]) == ("local-vlm", 0.0)
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPTS["FMAR"]}
    images, question = user["content"][:-1], user["content"][-1]
    assert [part["type"] for part in images] == ["image_url"] * 8  # images first, then the question
    decoded = [base64.b64decode(p["image_url"]["url"].removeprefix("data:image/jpeg;base64,")) for p in images]
    assert decoded == [frame.jpeg for frame in FRAMES] and Image.open(io.BytesIO(decoded[3])).format == "JPEG"
    assert question == {"type": "text", "text": FMAR.published_question}
    assert question["text"].endswith("\nA. Nodding\nB. Shaking head\nC. Waving\nD. Shrugging\nE. Tiptoe")
    assert (reply.raw, reply.prompt_tokens, reply.completion_tokens) == ("A", 100, 3)
    recorded_images = reply.prompt[1]["content"][:-1]
    assert all("base64" not in p["image_url"]["url"] for p in recorded_images)  # no image bytes kept
    assert recorded_images[0]["image_url"]["url"] == f"<frame 1 of 8, index 1, {len(FRAMES[0].jpeg)} bytes>"


def test_the_blind_predictor_sends_the_question_only(chat_endpoint, first_option):
    with chat_endpoint(first_option) as server:
        predictor(server, frames=None).predict(FMAR)
    system, user = server.requests[0]["json"]["messages"]
    assert "No frames are given" in system["content"]
    assert [part["type"] for part in user["content"]] == ["text"]


def test_429_and_5xx_are_retried_with_backoff(chat_endpoint, reply_with):
    def busy_then_ok(request, call):
        return {1: (429, {"error": {"message": "slow down"}}, 0), 2: (503, "overloaded", 0)}.get(
            call, (200, reply_with("<think>looks like a wave</think>C"), 0)
        )

    with chat_endpoint(busy_then_ok) as server:
        reply = predictor(server, max_retries=3).predict(FMAR)
    assert len(server.requests) == 3 and reply.raw == "<think>looks like a wave</think>C"


def test_a_timeout_after_the_retries_is_a_predictor_error(chat_endpoint, reply_with):
    with (
        chat_endpoint(lambda request, call: (200, reply_with("A"), 1.5)) as server,
        pytest.raises(PredictorError, match="FMAR_0001: APITimeoutError"),
    ):
        predictor(server, timeout=0.3, max_retries=1).predict(FMAR)
    assert len(server.requests) == 2


@pytest.mark.parametrize("body", ["this is not json", {"id": "x", "object": "chat.completion", "choices": []}])
def test_a_malformed_reply_is_a_predictor_error(chat_endpoint, body):
    with chat_endpoint(lambda request, call: (200, body, 0)) as server, pytest.raises(PredictorError):
        predictor(server, max_retries=0).predict(FMAR)
