"""Machine-style captions and MA-Bench questions for the rendered demo clips.

Each supported micro-action has a ``MotionScript``: the structured facts of what
``figure_clips`` draws (which part moves which way in which third, what stays
still, which parts approach). Captions and yes/no questions are derived from those
facts, so an answer key is right by construction -- except for the three
deliberate faults ``demo_questions_for_all`` plants for reviewers to catch.
Directions are the subject's own: the figure faces the camera, so "rightward"
is towards the image's left.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from annotation.domain.mac_format import join_embedded_options, split_embedded_options
from annotation.domain.taxonomy import (
    CHOICE_LETTERS,
    COARSE_LABELS,
    FINE_BY_NAME,
    FINE_LABELS,
    TASKS,
    Trend,
    fine_labels_of,
)

PHASES = ("early", "middle", "late")
EARLY, MIDDLE, LATE = ("early",), ("middle",), ("late",)
QUESTION_PARTS = ("head", "torso", "right hand", "left hand", "right lower leg", "left lower leg")
ONSET_MARGIN = 0.05  # two onsets closer than this are "at the same time" for sequence questions

# Interleaves body regions so the first clips of a short demo already differ.
DEMO_ORDER = ("B1", "D3", "C5", "A4", "F1", "B2", "G2", "C12", "E5", "B4", "C4", "B5")


@dataclass(frozen=True)
class DemoClip:
    clip_name: str
    action: str
    seed: int


@dataclass(frozen=True)
class Step:
    """``part`` performs ``verb`` during ``phases``, first starting at clip time ``onset`` (0-1)."""

    part: str
    verb: str
    phases: tuple[str, ...]
    onset: float


@dataclass(frozen=True)
class Proximity:
    part_a: str  # capitalised, as the published PPR questions write body parts
    part_b: str
    phase: str
    relation: str
    holds: bool


@dataclass(frozen=True)
class MotionScript:
    dominant_part: str
    other_parts: tuple[str, ...]
    direction_path: str
    phases: tuple[str, str, str]
    trend: Trend
    contact: str
    description: str
    steps: tuple[Step, ...]
    proximity: tuple[Proximity, Proximity]  # one relation that holds, one that does not
    also_moving: tuple[str, ...] = ()  # question parts that move without a step of their own

    def still_parts(self) -> list[str]:
        moving = {s.part for s in self.steps} | set(self.also_moving)
        return [p for p in QUESTION_PARTS if p not in moving]

    def does(self, part: str, verb: str, phase: str) -> bool:
        return any(s.part == part and s.verb == verb and phase in s.phases for s in self.steps)


def _steps(part: str, *specs: tuple[str, tuple[str, ...], float]) -> tuple[Step, ...]:
    return tuple(Step(part, verb, phases, onset) for verb, phases, onset in specs)


SCRIPTS: dict[str, MotionScript] = {
    "B1": MotionScript(
        dominant_part="head",
        other_parts=(),
        direction_path="downward then upward along the midline, three times",
        phases=(
            "the head dips downward and rises back to upright",
            "the head makes a second downward bob and recovers",
            "a third bob follows and the head ends upright",
        ),
        trend=Trend.REPETITIVE,
        contact="none",
        description=(
            "The dominant action is a repeated vertical bobbing of the head, which stays centred above the torso "
            "at a high position and dips downward then returns upward three times. The torso, arms and legs "
            "remain still, with no contact between body parts."
        ),
        steps=_steps("head", ("move downward", PHASES, 0.0), ("move upward", PHASES, 0.17)),
        proximity=(
            Proximity("Head", "Torso", "middle", "approach and then move away from", True),
            Proximity("Right Hand", "Left Hand", "middle", "noticeably approach", False),
        ),
    ),
    "B2": MotionScript(
        dominant_part="head",
        other_parts=(),
        direction_path="side to side along a horizontal line at head height, rightward first",
        phases=(
            "the head swings rightward, across to the left and back to the centre",
            "the head repeats the right-left swing with the same amplitude",
            "a third swing brings the head back to the centre",
        ),
        trend=Trend.REPETITIVE,
        contact="none",
        description=(
            "The head performs a continuous horizontal oscillation, swinging to the right and to the left of the "
            "body midline three times while staying at the same height. The torso and limbs remain stable "
            "without any contact."
        ),
        steps=_steps("head", ("move rightward", PHASES, 0.0), ("move leftward", PHASES, 0.09)),
        proximity=(
            Proximity("Head", "Torso", "middle", "stay at roughly the same distance from", True),
            Proximity("Left Hand", "Head", "middle", "noticeably approach", False),
        ),
    ),
    "B4": MotionScript(
        dominant_part="head",
        other_parts=(),
        direction_path="along a short arc toward the right shoulder and back to the midline",
        phases=(
            "the head tilts sideways toward the right shoulder",
            "the head holds the tilted position",
            "the head returns upright to the midline",
        ),
        trend=Trend.SINGLE,
        contact="none",
        description=(
            "The head tilts along a short arc toward the right shoulder, holds the tilted posture through the "
            "middle of the clip and then returns upright. The rest of the body stays still, and the head does "
            "not touch the shoulder."
        ),
        steps=_steps("head", ("tilt toward the right shoulder", EARLY, 0.03), ("tilt back upright", LATE, 0.70)),
        proximity=(
            Proximity("Head", "Right Shoulder", "early", "noticeably approach", True),
            Proximity("Head", "Left Shoulder", "early", "noticeably approach", False),
        ),
    ),
    "B5": MotionScript(
        dominant_part="head",
        other_parts=(),
        direction_path="downward along the midline, then held low",
        phases=(
            "the head lowers toward the chest",
            "the head stays bowed",
            "the head remains lowered without recovering",
        ),
        trend=Trend.SINGLE,
        contact="none",
        description=(
            "The head performs a single downward movement along the body midline, lowering toward the chest in "
            "the early segment and holding the bowed position until the end. The torso, arms and legs remain "
            "still."
        ),
        steps=_steps("head", ("move downward", EARLY, 0.03)),
        proximity=(
            Proximity("Head", "Torso", "early", "noticeably approach", True),
            Proximity("Head", "Torso", "late", "noticeably move apart from", False),
        ),
    ),
    "C5": MotionScript(
        dominant_part="right hand",
        other_parts=("right elbow", "right upper arm"),
        direction_path="upward to head height on the right side, side to side, then back down to the thigh",
        phases=(
            "the right hand rises from the thigh to beside the head",
            "the raised right hand swings rightward and leftward twice",
            "the right hand lowers back onto the right thigh",
        ),
        trend=Trend.REPETITIVE,
        contact="none",
        description=(
            "The dominant action is a side-to-side swing of the right hand, which rises from the right thigh to head "
            "height on the right side of the body and swings side to side before lowering again. The right upper "
            "arm and elbow follow the hand while the head, torso, left arm and legs stay still."
        ),
        steps=_steps(
            "right hand",
            ("move upward", EARLY, 0.0),
            ("move rightward", ("early", "middle"), 0.0),
            ("move leftward", ("middle", "late"), 0.38),
            ("move downward", LATE, 0.70),
        ),
        proximity=(
            Proximity("Right Hand", "Head", "early", "noticeably approach", True),
            Proximity("Right Hand", "Head", "late", "noticeably approach", False),
        ),
    ),
    "C4": MotionScript(
        dominant_part="both arms",
        other_parts=("right hand", "left hand"),
        direction_path="upward and outward away from the torso on both sides, then back down",
        phases=(
            "both arms rise and extend outward away from the torso",
            "the arms stay stretched out slightly above shoulder height",
            "both arms retract and the hands return to the thighs",
        ),
        trend=Trend.SINGLE,
        contact="none",
        description=(
            "Both arms stretch upward and outward symmetrically, the hands travelling from the thighs to well "
            "beyond the sides of the body, hold the extended position and then retract to the thighs. The head, "
            "torso and legs remain still."
        ),
        steps=_steps(
            "right hand",
            ("move upward", EARLY, 0.03),
            ("move rightward", EARLY, 0.03),
            ("move downward", LATE, 0.70),
            ("move leftward", LATE, 0.70),
        )
        + _steps(
            "left hand",
            ("move upward", EARLY, 0.03),
            ("move leftward", EARLY, 0.03),
            ("move downward", LATE, 0.70),
            ("move rightward", LATE, 0.70),
        ),
        proximity=(
            Proximity("Right Hand", "Left Hand", "early", "noticeably move apart from", True),
            Proximity("Right Hand", "Left Hand", "middle", "noticeably approach", False),
        ),
    ),
    "C12": MotionScript(
        dominant_part="right hand",
        other_parts=("right forearm",),
        direction_path="upward from the thigh to the front of the chest, then closing in place",
        phases=(
            "the right hand lifts from the thigh to the front of the chest",
            "the open hand closes into a fist",
            "the fist stays clenched in front of the chest",
        ),
        trend=Trend.SINGLE,
        contact="none",
        description=(
            "The right hand lifts from the right thigh to the front of the chest and then closes its fingers into "
            "a tight fist, which is held until the end of the clip. The other body parts remain stable and the "
            "hand does not touch the body."
        ),
        steps=_steps("right hand", ("move upward", EARLY, 0.03), ("close into a fist", MIDDLE, 0.37)),
        proximity=(
            Proximity("Right Hand", "Head", "early", "noticeably approach", True),
            Proximity("Right Hand", "Head", "late", "noticeably move apart from", False),
        ),
    ),
    "D3": MotionScript(
        dominant_part="right leg",
        other_parts=("right foot",),
        direction_path="side to side below the right knee, rightward first",
        phases=(
            "the right lower leg starts swinging rightward and leftward",
            "the rapid side-to-side shaking continues",
            "the shaking keeps the same quick rhythm until the end",
        ),
        trend=Trend.REPETITIVE,
        contact="none",
        description=(
            "The right lower leg shakes rapidly from side to side below a fixed knee, the right foot swinging "
            "rightward and leftward throughout the clip. The head, torso, arms and left leg remain still."
        ),
        steps=_steps("right lower leg", ("move rightward", PHASES, 0.0), ("move leftward", PHASES, 0.04)),
        proximity=(
            Proximity("Right Foot", "Left Foot", "middle", "repeatedly approach and move away from", True),
            Proximity("Right Hand", "Head", "middle", "noticeably approach", False),
        ),
    ),
    "A4": MotionScript(
        dominant_part="shoulders",
        other_parts=("right upper arm", "left upper arm"),
        direction_path="upward toward the ears, then back down",
        phases=(
            "both shoulders rise toward the ears",
            "the shoulders stay raised",
            "the shoulders drop back to their resting height",
        ),
        trend=Trend.SINGLE,
        contact="none",
        description=(
            "Both shoulders rise together toward the ears, stay raised through the middle of the clip and drop "
            "back to their resting height, the upper arms lifting slightly along with them. The head, hands and "
            "legs remain still."
        ),
        steps=_steps("right shoulder", ("move upward", EARLY, 0.03), ("move downward", LATE, 0.70))
        + _steps("left shoulder", ("move upward", EARLY, 0.03), ("move downward", LATE, 0.70)),
        proximity=(
            Proximity("Right Shoulder", "Head", "early", "noticeably approach", True),
            Proximity("Left Shoulder", "Head", "middle", "noticeably move apart from", False),
        ),
    ),
    "F1": MotionScript(
        dominant_part="right hand",
        other_parts=("right elbow", "right upper arm"),
        direction_path="upward and toward the midline to the face, then back down to the thigh",
        phases=(
            "the right hand rises from the thigh toward the face",
            "the right hand rests against the nose",
            "the right hand returns down to the right thigh",
        ),
        trend=Trend.SINGLE,
        contact="the right hand touches the nose during the middle phase",
        description=(
            "The right hand travels upward and toward the midline from the right thigh to the face, touches the "
            "nose during the middle segment and then returns to the thigh. The head and torso stay still while "
            "the right elbow follows the hand."
        ),
        steps=_steps(
            "right hand",
            ("move upward", EARLY, 0.03),
            ("move leftward", EARLY, 0.03),
            ("move downward", LATE, 0.70),
            ("move rightward", LATE, 0.70),
        ),
        proximity=(
            Proximity("Right Hand", "Head", "early", "noticeably approach", True),
            Proximity("Right Hand", "Head", "middle", "noticeably move apart from", False),
        ),
    ),
    "G2": MotionScript(
        dominant_part="right hand",
        other_parts=("right forearm",),
        direction_path="downward onto the right knee, then short repeated up-and-down pats",
        phases=(
            "the right hand slides down the thigh onto the right knee",
            "the hand lifts and pats the knee repeatedly",
            "the patting continues at the same rhythm",
        ),
        trend=Trend.REPETITIVE,
        contact="the right hand repeatedly touches the right knee",
        description=(
            "The right hand moves down from the thigh to the right knee and pats it with short, repeated "
            "up-and-down strokes through the rest of the clip. The head, torso, left arm and legs remain still."
        ),
        steps=_steps("right hand", ("move downward", PHASES, 0.0), ("move upward", ("middle", "late"), 0.34)),
        proximity=(
            Proximity("Right Hand", "Right Knee", "early", "noticeably approach", True),
            Proximity("Left Hand", "Head", "middle", "noticeably approach", False),
        ),
    ),
    "E5": MotionScript(
        dominant_part="both arms",
        other_parts=("right hand", "left hand"),
        direction_path="upward and across the chest toward the opposite shoulders, right arm first",
        phases=(
            "the right forearm rises across the chest toward the left upper arm",
            "the left forearm follows across, its hand reaching the right upper arm",
            "both arms stay folded across the chest",
        ),
        trend=Trend.SINGLE,
        contact="each hand rests on the opposite upper arm",
        description=(
            "The arms fold across the chest one after the other: the right forearm crosses first toward the left "
            "upper arm, the left forearm follows, and both hands stay on the opposite upper arms. The head, torso "
            "and legs remain still."
        ),
        steps=_steps("right hand", ("move upward", EARLY, 0.03), ("move leftward", EARLY, 0.03))
        + _steps("left hand", ("move upward", MIDDLE, 0.37), ("move rightward", MIDDLE, 0.37)),
        proximity=(
            Proximity("Right Hand", "Left Shoulder", "early", "noticeably approach", True),
            Proximity("Left Hand", "Right Shoulder", "early", "noticeably approach", False),
        ),
    ),
}

OPPOSITE_VERBS = {
    "move upward": "move downward",
    "move downward": "move upward",
    "move rightward": "move leftward",
    "move leftward": "move rightward",
    "tilt toward the right shoulder": "tilt toward the left shoulder",
    "close into a fist": "open its fingers wide",
}
GERUNDS = {"move": "moving", "tilt": "tilting", "close": "closing", "open": "opening"}


def gerund(verb: str) -> str:
    head, _, rest = verb.partition(" ")
    return f"{GERUNDS[head]} {rest}"


# --- clips and captions --------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def demo_clips(count: int = 12) -> list[DemoClip]:
    """``count`` demo clips, one per supported action (cycling with new seeds past 12)."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    clips = []
    for i in range(count):
        action = DEMO_ORDER[i % len(DEMO_ORDER)]
        clips.append(DemoClip(f"demo_{i + 1:02d}_{_slug(FINE_LABELS[action].name)}", action, seed=i))
    return clips


def script_of(clip: DemoClip) -> MotionScript:
    return SCRIPTS[clip.action]


def demo_caption(clip: DemoClip) -> dict:
    script = script_of(clip)
    early, middle, late = script.phases
    return {
        "coarse_label": FINE_LABELS[clip.action].coarse,
        "fine_label": clip.action,
        "dominant_part": script.dominant_part,
        "other_parts": list(script.other_parts),
        "direction_path": script.direction_path,
        "phase_early": early,
        "phase_middle": middle,
        "phase_late": late,
        "trend": script.trend.value,
        "contact": script.contact,
        "description": script.description,
    }


# --- question stems (paraphrases in the published style) -------------------------------

CMAR_STEMS = (
    "Which coarse-grained category best describes the micro action in this video?",
    "Select the coarse-grained body-part category of the micro action shown in this clip.",
    "What coarse-grained label should be assigned to the micro action in this video clip?",
    "Identify the coarse-grained category that the action in this video belongs to.",
)
FMAR_STEMS = (
    "Which fine-grained micro-action label matches the behavior in this clip?",
    "Select the exact fine-grained action category performed in this video.",
    "What is the precise fine-grained category of the micro action in this video clip?",
    "Identify the fine-grained action class shown in this video.",
)
MADU_STEMS = (
    "Describe how each part of the person’s body moves in the video.",
    "Describe in detail the person’s body movements in this clip.",
    "Explain the movement characteristics of each of the person’s body parts in the video.",
)
MARE_STEMS = (
    "Based on the movements observed in the video, build a step-by-step reasoning chain and determine the "
    "coarse-grained and fine-grained micro-action labels.",
    "Using the motion evidence in the clip, reason in detail about the behavior and infer its micro-action "
    "category at both the coarse and the fine level.",
    "From the person’s movements in the video, give a detailed chain of reasoning that leads to the coarse- "
    "and fine-grained micro-action classification.",
)
SAD_STEMS = (
    "In the {phase} phase of the action, does the {part} {verb}?",
    "During the {phase} segment, does the {part} {verb}?",
    "Does the {part} {verb} during the {phase} part of the clip?",
)
MAD_BOTH_STEMS = ("During the {phase} segment, did the {a} and the {b} both {verb} at the same time?",)
MAD_STILL_STEMS = (
    "While the {part} was {moving} in the {phase} segment, did the {still} stay still?",
    "During the {phase} segment, as the {part} was {moving}, did the {still} remain stationary?",
)
MAD_ALONG_STEMS = (  # only for "move ..." verbs: a still part cannot "tilt back upright"
    "During the {phase} segment, did the {still} {verb} together with the {part}?",
    "While the {part} was {moving} in the {phase} segment, did the {still} {verb} at the same time?",
)
MAD_ALSO_MOVES_STEMS = ("While the {part} was {moving} in the {phase} segment, did the {still} move as well?",)
MAS_PAIR_STEMS = (
    "Did the {a} begin to {verb_a} before the {b} began to {verb_b}?",
    "Did the {a} start to {verb_a} earlier than the {b} started to {verb_b}?",
)
MAS_SAME_PART_STEMS = ("Did the {a} begin to {verb_a} before it first began to {verb_b}?",)
PPR_STEMS = (
    "In the {phase} phase of the video, does the {a} {relation} the {b}?",
    "During the {phase} phase, does the {a} {relation} the {b}?",
)

YesNo = tuple[str, str]  # (question, "Yes" | "No")


# --- closed questions --------------------------------------------------------------


def _choice(stem: str, options: list[str], key: str) -> tuple[str, str]:
    return join_embedded_options(stem, options), CHOICE_LETTERS[options.index(key)]


def _cmar(clip: DemoClip, rng: random.Random) -> list[tuple[str, str]]:
    options = [c.name for c in COARSE_LABELS.values()]
    rng.shuffle(options)
    key = COARSE_LABELS[FINE_LABELS[clip.action].coarse].name
    return [_choice(rng.choice(CMAR_STEMS), options, key)]


def _fmar_options(action: str, rng: random.Random) -> list[str]:
    fine = FINE_LABELS[action]
    siblings = [f.name for f in fine_labels_of(fine.coarse) if f.code != action]
    strangers = [f.name for f in FINE_LABELS.values() if f.coarse != fine.coarse]
    options = [fine.name, *rng.sample(siblings, 3), *rng.sample(strangers, 1)]
    rng.shuffle(options)
    return options


def _fmar(clip: DemoClip, rng: random.Random) -> list[tuple[str, str]]:
    options = _fmar_options(clip.action, rng)
    return [_choice(rng.choice(FMAR_STEMS), options, FINE_LABELS[clip.action].name)]


def _yes_and_no(rng: random.Random, yes: str, no: str) -> list[YesNo]:
    pair = [(yes, "Yes"), (no, "No")]
    rng.shuffle(pair)
    return pair


def contradicted_claims(script: MotionScript) -> list[tuple[str, str, str]]:
    """(part, verb, phase) claims the render contradicts: the pool of SAD questions answered No."""
    claims = []
    for step in script.steps:
        opposite = OPPOSITE_VERBS.get(step.verb)
        for phase in step.phases:
            if opposite and not script.does(step.part, opposite, phase):
                claims.append((step.part, opposite, phase))
        # before its first phase the motion has not started: unambiguously false
        for phase in PHASES[: PHASES.index(step.phases[0])]:
            claims.append((step.part, step.verb, phase))
    claims += [
        (still, s.verb, s.phases[0])
        for s in script.steps
        if s.verb.startswith("move")
        for still in script.still_parts()
    ]
    return claims


def _sad(clip: DemoClip, rng: random.Random) -> list[YesNo]:
    script = script_of(clip)
    true_step = rng.choice(script.steps)
    true_phase = rng.choice(true_step.phases)
    part, verb, phase = rng.choice(contradicted_claims(script))
    yes = rng.choice(SAD_STEMS).format(phase=true_phase, part=true_step.part, verb=true_step.verb)
    no = rng.choice(SAD_STEMS).format(phase=phase, part=part, verb=verb)
    return _yes_and_no(rng, yes, no)


def _mad_true(script: MotionScript, rng: random.Random) -> str:
    together = [
        (a, b, phase)
        for a in script.steps
        for b in script.steps
        if a.part < b.part and a.verb == b.verb
        for phase in a.phases
        if phase in b.phases
    ]
    if together and rng.random() < 0.5:
        a, b, phase = rng.choice(together)
        return rng.choice(MAD_BOTH_STEMS).format(phase=phase, a=a.part, b=b.part, verb=a.verb)
    step = rng.choice(script.steps)
    return rng.choice(MAD_STILL_STEMS).format(
        part=step.part, moving=gerund(step.verb), phase=rng.choice(step.phases), still=rng.choice(script.still_parts())
    )


def _mad_false(script: MotionScript, rng: random.Random) -> str:
    step = rng.choice(script.steps)
    stems = MAD_ALONG_STEMS if step.verb.startswith("move") else MAD_ALSO_MOVES_STEMS
    return rng.choice(stems).format(
        part=step.part,
        moving=gerund(step.verb),
        verb=step.verb,
        phase=rng.choice(step.phases),
        still=rng.choice(script.still_parts()),
    )


def _mad(clip: DemoClip, rng: random.Random) -> list[YesNo]:
    script = script_of(clip)
    return _yes_and_no(rng, _mad_true(script, rng), _mad_false(script, rng))


def _first_onsets(script: MotionScript) -> dict[tuple[str, str], float]:
    onsets: dict[tuple[str, str], float] = {}
    for step in script.steps:
        key = (step.part, step.verb)
        onsets[key] = min(onsets.get(key, step.onset), step.onset)
    return onsets


def _ordered_pairs(script: MotionScript) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    onsets = _first_onsets(script)
    return [(a, b) for a in onsets for b in onsets if onsets[a] + ONSET_MARGIN <= onsets[b]]


def _mas_question(first: tuple[str, str], second: tuple[str, str], rng: random.Random) -> str:
    stems = MAS_SAME_PART_STEMS if first[0] == second[0] else MAS_PAIR_STEMS
    return rng.choice(stems).format(a=first[0], verb_a=first[1], b=second[0], verb_b=second[1])


def _mas(clip: DemoClip, rng: random.Random) -> list[YesNo]:
    script = script_of(clip)
    pairs = _ordered_pairs(script)
    if not pairs:  # all motions start together: ask about the onset against the phase boundaries
        step = min(script.steps, key=lambda s: s.onset)
        yes = f"Did the {step.part} begin to {step.verb} before the middle phase started?"
        no = f"Did the {step.part} wait until the late phase before it began to {step.verb}?"
        return _yes_and_no(rng, yes, no)
    # different pairs for the Yes and the No row, so one is not the mirror of the other
    yes_pair, no_pair = rng.sample(pairs, 2) if len(pairs) > 1 else (pairs[0], pairs[0])
    return _yes_and_no(rng, _mas_question(*yes_pair, rng), _mas_question(no_pair[1], no_pair[0], rng))


def _ppr(clip: DemoClip, rng: random.Random) -> list[YesNo]:
    holds, fails = script_of(clip).proximity
    yes, no = (
        rng.choice(PPR_STEMS).format(phase=p.phase, a=p.part_a, relation=p.relation, b=p.part_b) for p in (holds, fails)
    )
    return _yes_and_no(rng, yes, no)


# --- open questions ----------------------------------------------------------------


def _madu_answer(script: MotionScript) -> str:
    early, middle, late = script.phases
    return (
        f"{script.description} In the early segment {early}; in the middle segment {middle}; "
        f"in the late segment {late}."
    )


TREND_RHYTHM = {
    Trend.SINGLE: "a single movement that does not repeat",
    Trend.CONTINUOUS: "one continuous movement",
    Trend.REPETITIVE: "a repetitive rhythm of the same stroke",
}


def _the(part: str) -> str:
    return part if part.startswith("both ") else f"the {part}"


def _join(items: list[str] | tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _mare_answer(clip: DemoClip, script: MotionScript) -> str:
    fine = FINE_LABELS[clip.action]
    coarse = COARSE_LABELS[fine.coarse]
    early, middle, late = script.phases
    contact = "no body parts come into contact" if script.contact == "none" else script.contact
    if script.other_parts:
        follow = "follows" if len(script.other_parts) == 1 else "follow"
        secondary = f"the {_join(script.other_parts)} only {follow} {_the(script.dominant_part)}"
    else:
        secondary = f"the {_join(script.still_parts())} stay still"
    return (
        f"The amplitude ranking places {_the(script.dominant_part)} first, moving {script.direction_path}, and the "
        f"temporal structure shows {TREND_RHYTHM[script.trend]}: in the early segment {early}, in the middle "
        f"segment {middle}, and in the late segment {late}; spatially, {contact}, while {secondary}, so no "
        f"competing pattern contradicts the dominant one; therefore, the behavior is identified as "
        f"[Body part (coarse-grained)] {coarse.name} | [Micro-action (fine-grained)] {fine.name}."
    )


def _madu(clip: DemoClip, rng: random.Random) -> list[tuple[str, str]]:
    return [(rng.choice(MADU_STEMS), _madu_answer(script_of(clip)))]


def _mare(clip: DemoClip, rng: random.Random) -> list[tuple[str, str]]:
    return [(rng.choice(MARE_STEMS), _mare_answer(clip, script_of(clip)))]


QUESTION_MAKERS: dict[str, Callable[[DemoClip, random.Random], list[tuple[str, str]]]] = {
    "CMAR": _cmar,
    "FMAR": _fmar,
    "SAD": _sad,
    "MAD": _mad,
    "MAS": _mas,
    "PPR": _ppr,
    "MADU": _madu,
    "MARE": _mare,
}


def demo_questions(clip: DemoClip, *, qid_start: dict[str, int]) -> list[dict]:
    """The 12 published-shape rows of one clip; advances ``qid_start[task]`` in place."""
    rows = []
    for task_code, task in TASKS.items():
        # a string seed is hashed deterministically by random.Random (unlike hash())
        rng = random.Random(f"{clip.clip_name}/{clip.seed}/{task_code}")
        made = QUESTION_MAKERS[task_code](clip, rng)
        assert len(made) == task.per_video, f"{task_code} made {len(made)} questions, expected {task.per_video}"
        for question, answer in made:
            number = qid_start.get(task_code, 1)
            qid_start[task_code] = number + 1
            rows.append(
                {
                    "video": f"{clip.clip_name}.mp4",
                    "task": task_code,
                    "qid": f"{task_code}_{number:04d}",
                    "question": question,
                    "answer": answer,
                }
            )
    return rows


# --- deliberate faults -------------------------------------------------------------


def _wrong_answer_key(row: dict) -> None:
    _, options = split_embedded_options(row["question"])
    right = CHOICE_LETTERS.index(row["answer"])
    wrong = (right + 1) % len(options)
    row["answer"] = CHOICE_LETTERS[wrong]
    row["demo_fault"] = (
        f"wrong answer key: {CHOICE_LETTERS[wrong]} is {options[wrong]}, the clip shows {options[right]} "
        f"({CHOICE_LETTERS[right]})"
    )


def _label_code_in_option(row: dict) -> None:
    stem, options = split_embedded_options(row["question"])
    key = CHOICE_LETTERS.index(row["answer"])
    fine = FINE_BY_NAME[options[key].lower()]
    options[key] = f"{fine.code} {fine.name}"
    row["question"] = join_embedded_options(stem, options)
    row["demo_fault"] = f"label code leaked into option {row['answer']}: {options[key]!r}"


def _duplicate_option(row: dict) -> None:
    stem, options = split_embedded_options(row["question"])
    key = CHOICE_LETTERS.index(row["answer"])
    source, target = [i for i in range(len(options)) if i != key][-2:]
    options[target] = options[source]
    row["question"] = join_embedded_options(stem, options)
    row["demo_fault"] = (
        f"two identical options: {CHOICE_LETTERS[source]} and {CHOICE_LETTERS[target]} are both {options[source]!r}"
    )


# (task the fault is planted in, how) -- one per clip, on three different clips
FAULTS: tuple[tuple[str, Callable[[dict], None]], ...] = (
    ("CMAR", _wrong_answer_key),
    ("FMAR", _label_code_in_option),
    ("FMAR", _duplicate_option),
)


def fault_positions(clip_count: int) -> list[int]:
    """Indices of the clips that receive the faults: spread out, distinct, at most one fault per clip."""
    return sorted({clip_count * k // 3 + clip_count // 6 for k in range(len(FAULTS))}) if clip_count else []


def demo_questions_for_all(clips: list[DemoClip], *, qid_start: dict[str, int] | None = None) -> list[dict]:
    """All rows of ``clips`` in order, with the deliberate faults applied (fewer than three clips: fewer faults)."""
    counters = {} if qid_start is None else qid_start
    per_clip = [demo_questions(clip, qid_start=counters) for clip in clips]
    for (task, plant), position in zip(FAULTS, fault_positions(len(clips)), strict=False):
        plant(next(row for row in per_clip[position] if row["task"] == task))
    return [row for rows in per_clip for row in rows]
