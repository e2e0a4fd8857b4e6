"""How much a choice item's options tell about its key: a solver that knows the template
generator's tables and sees only the option texts (``annotation.generation.key_inference``)
answers FMAR items built as 2.0 builds them, as 1.0 built them, and the published sample.

No database. ``python bench/key_inference.py [ROUNDS]``: ROUNDS synthetic clips per MA-52
label (default 60, i.e. 3,120 items; 27 gives the 1,404 clips of issue 21). The published
sample is read from ../shared/data (or $MABENCH_SHARED_DATA) when it is there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from annotation.domain.mac_format import item_fields_from_row  # noqa: E402
from annotation.domain.taxonomy import CHOICE_LETTERS, FINE_LABELS  # noqa: E402
from annotation.generation import confusion_tiers  # noqa: E402
from annotation.generation.balance import clip_random  # noqa: E402
from annotation.generation.base import CaptionedClip  # noqa: E402
from annotation.generation.key_inference import chance_interval, infer_key, only_possible_key  # noqa: E402
from annotation.generation.template import TemplateGenerator  # noqa: E402

NEW, OLD = TemplateGenerator().source, confusion_tiers.VERSION
SAMPLE = Path(os.environ.get("MABENCH_SHARED_DATA", PROJECT.parent / "shared" / "data")) / "mabench"


def clips(rounds: int) -> list[CaptionedClip]:
    return [
        CaptionedClip(
            clip_name=f"take_{r}_{code}", coarse_label=FINE_LABELS[code].coarse, fine_label=code, dominant_part="head"
        )
        for r in range(rounds)
        for code in FINE_LABELS
    ]


def report(title: str, task: str, items: list[tuple[list[str], str]], generator: str) -> None:
    found = [(infer_key(task, options, generator), options, key) for options, key in items]
    found = [(inference, options, key) for inference, options, key in found if inference is not None]
    n = len(found)
    right = sum(CHOICE_LETTERS[inference.best] == key for inference, _, key in found)
    determined = sum(inference.determined for inference, _, _ in found)
    flagged = sum(
        bool((only := only_possible_key(task, options)) and CHOICE_LETTERS[only[0]] == key) for _, options, key in found
    )
    low, high = chance_interval(n, len(found[0][1]))
    print(
        f"{title}, solver with the {generator} tables: {right}/{n} right ({right / n:.1%}; chance 99.9%: "
        f"{low}-{high}, {low / n:.1%}-{high / n:.1%}); one possible key: {determined}; lint flags: {flagged}"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    generator = TemplateGenerator(seed=0)
    every = clips(rounds)
    new = [(list(i.options), i.answer) for c in every for i in generator.generate(c, tasks=("FMAR",))]
    old = [confusion_tiers.fmar_options(c.fine_label, clip_random(0, c.clip_name, "FMAR")) for c in every]
    report(f"FMAR as {NEW} writes it, {len(new)} clips", "FMAR", new, NEW)
    report(f"FMAR as {OLD} wrote it, {len(old)} clips", "FMAR", old, OLD)
    path = SAMPLE / "mabench_data_sample_100.json"
    if not path.is_file():
        print(f"published sample: {path} not found, skipped")
        return
    rows = json.loads(path.read_text())
    for task in ("FMAR", "CMAR"):
        items = [(item_fields_from_row(row)["options"], row["answer"]) for row in rows if row["task"] == task]
        for version in (NEW, OLD):
            report(f"published sample {task} (distinct options)", task, items, version)


if __name__ == "__main__":
    main()
