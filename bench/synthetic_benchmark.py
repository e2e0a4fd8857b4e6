"""Synthetic MA-Bench-shaped rows for benchmarks: any number of clips, 12 questions each.

Import it after ``throwaway_database`` (which sets Django up)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from annotation.domain.mac_format import join_embedded_options
from annotation.models import Benchmark
from annotation.services.importing import ImportFile, benchmark_import
from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS, TASKS


def synthetic_rows(clips: int, *, seed: int = 0) -> list[dict]:
    return list(synthetic_row_stream(clips, seed=seed))


def synthetic_row_stream(clips: int, *, seed: int = 0) -> Iterator[dict]:
    """The rows of ``synthetic_rows`` one at a time (a 246,000-row file written without holding it)."""
    rng = random.Random(seed)
    coarse = [c.name for c in COARSE_LABELS.values()]
    fine = [f.name for f in FINE_LABELS.values()]
    counters = dict.fromkeys(TASKS, 0)
    for clip in range(clips):
        video = f"clip_{clip:06d}.mp4"
        for code, task in TASKS.items():
            for _ in range(task.per_video):
                counters[code] += 1
                yield {
                    "video": video,
                    "task": code,
                    "qid": f"{code}_{counters[code]:06d}",
                    **_question(code, rng, coarse, fine, clip),
                }


def _question(code: str, rng: random.Random, coarse: list[str], fine: list[str], clip: int) -> dict:
    if code == "CMAR":
        options = rng.sample(coarse, 7)
        return {
            "question": join_embedded_options("Which coarse-grained category fits the micro action?", options),
            "answer": rng.choice("ABCDEFG"),
        }
    if code == "FMAR":
        options = rng.sample(fine, 5)
        return {
            "question": join_embedded_options("Which fine-grained label fits the micro action?", options),
            "answer": rng.choice("ABCDE"),
        }
    if code in ("MADU", "MARE"):
        words = " ".join(rng.choice(["head", "hand", "moves", "upward", "left", "then", "slowly"]) for _ in range(60))
        if code == "MADU":
            return {"question": f"Describe the movement in clip {clip}.", "answer": f"The {words}."}
        labels = f"[Body part (coarse-grained)] {rng.choice(coarse)} | [Micro-action (fine-grained)] {rng.choice(fine)}"
        return {
            "question": f"Reason about the micro-action in clip {clip}.",
            "answer": f"The {words}; therefore {labels}.",
        }
    part = rng.choice(["head", "right hand", "left hand", "torso", "right foot"])
    phase = rng.choice(["early", "middle", "late"])
    return {
        "question": f"In the {phase} phase of clip {clip}, does the {part} move {rng.choice(['up', 'down'])} "
        f"{rng.randint(0, 10**6)}?",
        "answer": rng.choice(["Yes", "No"]),
    }


def synthetic_benchmark_import(name: str, clips: int, *, seed: int = 0, drop: int = 0):
    """Import ``clips`` synthetic clips as benchmark ``name``; the first clip loses its last ``drop`` questions."""
    rows = synthetic_rows(clips, seed=seed)
    first = rows[0]["video"]
    mine = [n for n, row in enumerate(rows) if row["video"] == first]
    rows = [row for n, row in enumerate(rows) if n not in mine[len(mine) - drop :]]
    benchmark_import(benchmark_name=name, source="bench", questions=ImportFile("q.json", json.dumps(rows).encode()))
    return Benchmark.objects.get(name=name)
