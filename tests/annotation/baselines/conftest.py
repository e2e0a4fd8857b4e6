import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))

from chat_endpoint import ChatEndpoint, answer_first_option, completion  # noqa: E402


@pytest.fixture
def chat_endpoint():
    """Start a local chat-completions server: ``with chat_endpoint(script) as server: ...``."""
    return ChatEndpoint


@pytest.fixture
def reply_with():
    return completion


@pytest.fixture
def first_option():
    return answer_first_option
