"""The open-answer judge: an OpenAI-compatible model scores an answer text-only against
the reference on the task's three 0-5 dimensions, with the rubric below."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from annotation.domain.answer_parsing import strip_think

from .base import PredictorError
from .chat import ChatPredictor

DIMENSIONS = {
    "MADU": (
        (
            "L1",
            "behavioural-semantic alignment",
            "does the answer describe the same behaviour as the reference: the same moving parts doing the same kind of action?",
        ),
        (
            "L2",
            "spatial-topological fidelity",
            "are directions, positions relative to the body and which parts approach or leave each other the same as in the reference?",
        ),
        (
            "L3",
            "temporal-structural coherence",
            "is the order, the phases and the repetition or continuity of the movement the same as in the reference?",
        ),
    ),
    "MARE": (
        (
            "L1",
            "coarse-label accuracy",
            "does the answer conclude with the same coarse-grained body-part category as the reference?",
        ),
        ("L2", "fine-label accuracy", "does it conclude with the same fine-grained micro-action as the reference?"),
        (
            "L3",
            "causal-reasoning consistency",
            "does the reasoning follow from observed movements to the labels without contradictions, consistent with the reference's evidence?",
        ),
    ),
}

SCALE = (
    "0: absent or contradicts the reference; 1: mostly wrong; 2: partly right, major errors; "
    "3: right in the main, some errors; 4: right with minor omissions; 5: fully consistent with the reference."
)


def rubric(task: str) -> str:
    lines = [f"- {code} ({name}): {question}" for code, name, question in DIMENSIONS[task]]
    return (
        "You grade an answer about a short video of a person's micro-action, text-only, against a reference answer "
        f"written by annotators. Score three dimensions with integers 0-5 ({SCALE}):\n"
        + "\n".join(lines)
        + '\nReply with one JSON object only: {"L1": int, "L2": int, "L3": int, "reasoning": "one or two sentences"}.'
    )


@dataclass(frozen=True)
class Judgement:
    l1: int
    l2: int
    l3: int
    reasoning: str


JSON_OBJECT = re.compile(r"\{.*\}", re.S)


def parse_judgement(reply: str) -> Judgement | None:
    found = JSON_OBJECT.search(reply)
    try:
        data = json.loads(found.group(0)) if found else None
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    scores = [data.get(key) for key in ("L1", "L2", "L3")]
    if not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= 5 for s in scores):
        return None
    return Judgement(*scores, reasoning=str(data.get("reasoning", ""))[:4000])


class Judge:
    def __init__(self, chat: ChatPredictor, *, attempts: int = 3):
        self.chat, self.attempts = chat, attempts

    def judge(self, *, task: str, question: str, reference: str, answer: str) -> Judgement:
        messages = [
            {"role": "system", "content": rubric(task)},
            {
                "role": "user",
                "content": f"Question:\n{question}\n\nReference answer:\n{reference}\n\nAnswer to grade:\n{answer}",
            },
        ]
        for _ in range(self.attempts):
            judgement = parse_judgement(strip_think(self.chat.complete(messages).raw))
            if judgement:
                return judgement
        raise PredictorError(f"the judge gave no valid scores in {self.attempts} attempts")
