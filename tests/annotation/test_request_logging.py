"""A model request leaves no log line of its own (``generate_questions`` and baseline runs send thousands);
the HTTP client's warnings and errors still reach the log."""

import logging

import pytest

from annotation.predictors.base import ItemPrompt
from annotation.predictors.chat import ChatPredictor
from tests.support.chat_endpoint import ChatEndpoint, answer_first_option

SAD = ItemPrompt(item_id=1, qid="SAD_0001", task="SAD", question="Does the head move?", options=[], video_id=7)


def ask(server) -> None:
    ChatPredictor(base_url=server.base_url, model="local", api_key="sk-local", frames=None, max_retries=0).predict(SAD)


def test_a_model_request_logs_no_line_per_request(caplog):
    caplog.set_level(logging.INFO)  # the root at INFO, as the site runs; the HTTP client's own loggers as set
    with ChatEndpoint(answer_first_option) as server:
        ask(server)
        ask(server)
    assert len(server.requests) == 2
    assert [r.getMessage() for r in caplog.records if "HTTP Request" in r.getMessage()] == []


@pytest.mark.parametrize("name", ["httpx", "httpx2"])
def test_the_http_client_loggers_still_pass_warnings_and_errors(name):
    assert logging.getLogger(name).isEnabledFor(logging.WARNING)
    assert not logging.getLogger(name).isEnabledFor(logging.INFO)
