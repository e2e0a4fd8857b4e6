import json

import pytest
from django.core.management import call_command

from annotation.domain.mac_format import join_embedded_options

COARSE = ["Body", "Head", "Upper limb", "Lower limb", "Body-hand", "Head-hand", "Leg-hand"]


def _clip_rows(clip: str, first: int = 1, *, answers: bool = True) -> list[dict]:
    """The 12 published-shape questions of one clip, keys included."""
    n = first
    rows = [
        {
            "video": f"{clip}.mp4",
            "task": "CMAR",
            "qid": f"CMAR_{n:04d}",
            "question": join_embedded_options("Which coarse-grained category fits?", COARSE),
            "answer": "B",
        },
        {
            "video": f"{clip}.mp4",
            "task": "FMAR",
            "qid": f"FMAR_{n:04d}",
            "question": join_embedded_options(
                "Which fine-grained label fits?", ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]
            ),
            "answer": "A",
        },
    ]
    for task in ("SAD", "MAD", "MAS", "PPR"):
        for k, answer in enumerate(("Yes", "No")):
            rows.append(
                {
                    "video": f"{clip}.mp4",
                    "task": task,
                    "qid": f"{task}_{n * 2 + k:04d}",
                    "question": f"{task} question {k} about the {clip} head motion?",
                    "answer": answer,
                }
            )
    rows.append(
        {
            "video": f"{clip}.mp4",
            "task": "MADU",
            "qid": f"MADU_{n:04d}",
            "question": "Describe the movements.",
            "answer": "The head dips downward twice and returns upright while the torso stays still.",
        }
    )
    rows.append(
        {
            "video": f"{clip}.mp4",
            "task": "MARE",
            "qid": f"MARE_{n:04d}",
            "question": "Reason about the labels.",
            "answer": "The head moves down and up repeatedly; therefore [Body part (coarse-grained)] Head | "
            "[Micro-action (fine-grained)] Nodding.",
        }
    )
    if not answers:
        for row in rows:
            del row["answer"]
    return rows


@pytest.fixture
def write_file(tmp_path):
    def write(rows, name="questions.json", *, jsonl=False) -> str:
        path = tmp_path / name
        text = "\n".join(json.dumps(r) for r in rows) if jsonl else json.dumps(rows)
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def run_import(capsys):
    def run(*args, benchmark="Imported", source="gen-x 1.0") -> dict:
        call_command("import_benchmark", "--in-process", *args, "--benchmark", benchmark, "--source", source)
        return json.loads(capsys.readouterr().out)

    return run


@pytest.fixture
def clip_rows():
    """Builds the 12 published-shape questions of a clip: ``clip_rows("clip_a", first=1, answers=True)``."""
    return _clip_rows
