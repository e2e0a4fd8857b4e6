"""Prompts of the model generator: the structured caption, never frames."""

from __future__ import annotations

import json

from .base import CaptionedClip

JSON_ONLY = "Reply with one JSON object only, no other text."

TASK_GUIDES = {
    "SAD": (
        "single action detail",
        "one detail of one moving part's movement: its direction, path, amplitude or phase",
        "In the early phase of the action, does the left hand move predominantly leftward and downward from its "
        "initial position?",
    ),
    "MAD": (
        "multiple action detail",
        "how two or more parts move together or relative to each other in one segment",
        "During the middle segment, did the left upper arm move in the same rightward direction as the right hand?",
    ),
    "MAS": (
        "micro-action sequence",
        "temporal order: whether one part's movement started before another's",
        "Did the head start moving rightward prior to the right hand moving downward?",
    ),
    "PPR": (
        "part proximity relation",
        "whether two body parts approach each other or move apart in a given phase",
        "In the middle phase of the video, does the Left Hand noticeably approach the Head?",
    ),
}

OPEN_GUIDES = {
    "MADU": "Describe the movements of each moving body part, the dominant one first: directions, positions relative "
    "to the body, how the phases follow each other and whether the motion is single, continuous or "
    "repetitive. 60 to 180 words, one paragraph. Describe, do not label: name neither the micro-action label "
    "('{fine}') nor any label code.",
    "MARE": "Reason step by step from the observed movements (which part moves most, directions, rhythm, spatial "
    "relations, contact) to the labels, in one paragraph of 80 to 200 words, and end with exactly this "
    "label line: **[Body part (coarse-grained)] {coarse} | [Micro-action (fine-grained)] {fine}**",
}


def caption_text(clip: CaptionedClip) -> str:
    lines = [
        ("Coarse-grained category (body part)", clip.coarse_name),
        ("Fine-grained micro-action", clip.fine_name),
        ("Dominant moving part", clip.dominant_part),
        ("Other moving parts", ", ".join(clip.other_parts)),
        ("Direction and path", clip.direction_path),
        ("Early phase", clip.phase_early),
        ("Middle phase", clip.phase_middle),
        ("Late phase", clip.phase_late),
        ("Temporal trend", clip.trend),
        ("Contact", clip.contact),
        ("Description", clip.description),
    ]
    return "Structured caption of the clip:\n" + "\n".join(f"- {name}: {value}" for name, value in lines if value)


def system_prompt(task: str) -> str:
    return (
        "You write questions and reference answers for MA-Bench, a benchmark of short videos of one person's "
        "micro-actions. You cannot see the video: a structured caption written and checked by annotators tells "
        f"you what happens in it, and everything you write must follow from it. Task: {task}."
    )


def yes_no_request(task: str, clip: CaptionedClip, keys: list[str]) -> str:
    name, about, example = TASK_GUIDES[task]
    return (
        f"{caption_text(clip)}\n\n"
        f"Write {len(keys)} yes/no questions of the task {task} ({name}): questions about {about}. "
        f'Example of the style: "{example}"\n'
        f"Required answer keys, in order: {json.dumps(keys)}\n"
        "A question keyed Yes states something the caption says. A question keyed No states something the caption "
        "contradicts (a wrong direction, part, phase or order), never something it merely leaves out. Each question "
        "asks about one thing visible in the video, ends with a question mark, differs from the other question, and "
        f"names neither the micro-action label ('{clip.fine_name}') nor any label code.\n"
        f'{JSON_ONLY} Shape: {{"questions": [{{"question": "...", "answer": "Yes or No"}}, ...]}}'
    )


def open_request(task: str, clip: CaptionedClip, stem: str) -> str:
    guide = OPEN_GUIDES[task].format(coarse=clip.coarse_name, fine=clip.fine_name)
    return (
        f"{caption_text(clip)}\n\n"
        f'Write the reference answer of the task {task} to the question: "{stem}"\n{guide}\n'
        f'{JSON_ONLY} Shape: {{"answer": "..."}}'
    )


def retry_request(problems: list[str]) -> str:
    return "Your reply cannot be used: " + "; ".join(problems[:5]) + f". Write it again. {JSON_ONLY}"
