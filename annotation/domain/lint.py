"""Automatic quality checks on QA items and captions: pure functions from content to findings.

``annotation.services.flags`` turns findings into ``QualityFlag`` rows. The checks
look for the faults caption-and-question generators make: labels leaked into a
question or a reference answer that does not ask for them, options that denote one label
twice (the key's label twice: two right answers), ill-fitting options, options that leave
one possible key under the template generator's tables, missing or invalid keys, reasoning
answers without their label line, unbalanced yes/no keys and key letters, outlier answer
lengths and near-duplicate questions.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from functools import lru_cache
from typing import Protocol

from annotation.domain.taxonomy import (
    CHOICE_LETTERS,
    COARSE_BY_NAME,
    COARSE_LABELS,
    FINE_BY_NAME,
    FINE_LABELS,
    TASKS,
    YES_NO_ANSWERS,
    AnswerFormat,
)
from annotation.generation.key_inference import only_possible_key

Kind = str  # a QualityFlag.Kind value
LABEL_CODE = re.compile(r"(?<![A-Za-z0-9])[A-G](?:[1-9]|1[0-3])(?![A-Za-z0-9])")
# A coarse code (one letter A-G) set off at either end of an option: "Head - B", "(B) Head", "B. Head".
COARSE_CODE_AT_END = re.compile(r"^\(?[A-G]\)?[\s.:\-\u2013]+(?=\w)|(?<=\w)[\s:\-\u2013(]+[A-G]\)?$")
MARE_LABEL_LINE = re.compile(
    r"\[Body part \(coarse-grained\)\]\s*(?P<coarse>[^|\]\[]+?)\s*\|\s*"
    r"\[Micro-action \(fine-grained\)\]\s*(?P<fine>[^|\]\[]+?)[\s*.]*$"
)
# Tasks whose answer is or states the clip's label: CMAR/FMAR options are the labels, and a MARE
# answer ends in its label line (the published judge scores its coarse- and fine-label accuracy).
# The other tasks ask about movements: their questions and reference answers name no label or code.
LABEL_ANSWER_TASKS = frozenset({"CMAR", "FMAR", "MARE"})
FIXED_STEM_TASKS = frozenset({"MADU", "MARE"})  # stems from the published wording, checked as written
BALANCE_RANGE = (0.45, 0.55)
BALANCE_MIN_ITEMS = 20
LENGTH_MIN_ITEMS = 20
# Key letters of a choice task: flagged when a chi-square test of uniform letters gives p < 0.001 (chance
# alone trips it once in a thousand lint runs), with at least 5 items expected per letter (the test's usual
# validity rule), and some letter's share is more than 10% off 1/k (the relative tolerance of the yes/no
# check's 45-55%: on a large benchmark a deviation too small to matter is still significant).
POSITION_P_VALUE = 0.001
POSITION_MIN_EXPECTED = 5
POSITION_TOLERANCE = 0.10
LENGTH_MAD_FACTOR = 4.0
LENGTH_MIN_CHARS = 40
# Option texts and words recur across a benchmark (the labels, a generator's vocabulary): what they denote is
# kept for this many of each (the checks are pure functions of the text).
CACHED_TEXTS = 1 << 16
FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "this",
        "that",
        "video",
        "clip",
        "does",
        "do",
        "did",
        "is",
        "are",
        "was",
        "were",
        "noticeably",
        "clearly",
        "continue",
        "continues",
        "to",
        "during",
        "phase",
        "stage",
        "segment",
    ]
)


class LintedItem(Protocol):
    id: int
    qid: str
    task: str
    question: str
    options: list[str]
    answer: str
    video_id: int
    version: int


# An item as lint reads it from the database (the fields of ``LintedItem``, in order): a model each cost more
# than the checks.
LintedRow: Callable[..., LintedItem] = make_dataclass("LintedRow", list(LintedItem.__annotations__.items()), slots=True)


class LintedCaption(Protocol):
    id: int
    video_id: int
    coarse_label: str
    fine_label: str
    version: int


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: str
    message: str
    item: LintedItem | None = None
    caption: LintedCaption | None = None
    task: str = ""  # benchmark-level findings are per task
    details: dict = field(default_factory=dict)

    @property
    def target_key(self) -> str:
        if self.item is not None:
            return f"item:{self.item.id}"
        if self.caption is not None:
            return f"caption:{self.caption.id}"
        return f"task:{self.task}"


def normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _named_at(text: str, label_name: str) -> re.Match | None:
    return re.search(rf"(?<![a-z]){re.escape(label_name.lower())}(?![a-z])", text.lower())


def _in_context(text: str, match: re.Match, width: int = 40) -> str:
    start, end = max(0, match.start() - width), min(len(text), match.end() + width)
    return f"{'...' if start else ''}{text[start:end]}{'...' if end < len(text) else ''}"


def label_mentions(text: str, fine_name: str | None) -> list[str]:
    """How ``text`` names a label: the clip's fine-grained label (``fine_name``) or any MA-52
    code, each with the words around it; empty when it names neither."""
    mentions = []
    if fine_name and (match := _named_at(text, fine_name)):
        mentions.append(f"names the micro-action label '{fine_name}' ('{_in_context(text, match)}')")
    codes = [match for match in LABEL_CODE.finditer(text) if match.group(0) in FINE_LABELS]
    if codes:
        mentions.append(f"carries the label code {codes[0].group(0)} ('{_in_context(text, codes[0])}')")
    return mentions


def key_option(item: LintedItem) -> str | None:
    """The text of the keyed option, without a leaked label code (reported on its own)."""
    letters = CHOICE_LETTERS[: len(item.options)]
    if not item.answer or item.answer not in letters:
        return None
    return _without_codes(item.options[letters.index(item.answer)])


@lru_cache(maxsize=CACHED_TEXTS)
def _without_codes(option: str) -> str | None:
    return LABEL_CODE.sub("", option).strip(" -()") or None


# --- checks on one item -----------------------------------------------------------


def item_findings(item: LintedItem) -> list[Finding]:
    checks = (_answer_key, _same_label_options, _options_misfit, _label_codes, _options_give_key, _mare_format)
    return [finding for check in checks for finding in check(item)]


def _answer_key(item: LintedItem) -> Iterable[Finding]:
    task = TASKS[item.task]
    if not item.answer.strip():
        yield Finding("missing_answer_key", "error", "No answer key: a reviewer must supply it.", item=item)
    elif task.answer_format == AnswerFormat.CHOICE and key_option(item) is None:
        yield Finding("invalid_answer_key", "error", f"Key '{item.answer}' is not an option letter.", item=item)
    elif task.answer_format == AnswerFormat.YES_NO and item.answer not in YES_NO_ANSWERS:
        yield Finding("invalid_answer_key", "error", f"Key '{item.answer}' is not Yes or No.", item=item)
    elif task.answer_format == AnswerFormat.OPEN and (item.answer in YES_NO_ANSWERS or len(item.answer) <= 1):
        yield Finding("invalid_answer_key", "error", f"'{item.answer}' is not a reference answer.", item=item)


@lru_cache(maxsize=CACHED_TEXTS)
def option_denotes(option: str) -> str:
    """What an option names, for telling two options apart: its text without MA-52 codes, normalised
    (case, punctuation, spaces). An option that is only a fine code denotes that code's label."""
    codes = [code for code in LABEL_CODE.findall(option) if code in FINE_LABELS]
    text = normalized(COARSE_CODE_AT_END.sub("", LABEL_CODE.sub(" ", option)))
    if not text and codes:
        return normalized(FINE_LABELS[codes[0]].name)
    return text


def _same_label_options(item: LintedItem) -> Iterable[Finding]:
    """Options that denote one label: the key's label twice is two right answers (``ambiguous_key``, never
    waived); another label twice is a wasted option (``duplicate_options``)."""
    letters_of: defaultdict[str, list[str]] = defaultdict(list)
    for letter, option in zip(CHOICE_LETTERS, item.options, strict=False):
        if label := option_denotes(option):
            letters_of[label].append(letter)
    repeated = [(label, letters) for label, letters in letters_of.items() if len(letters) > 1]
    key = item.answer if key_option(item) is not None else None
    for label, letters in repeated:
        if key in letters:
            yield _ambiguous_key(item, label, letters)
            break
    for label, letters in repeated:
        if key not in letters:
            yield _duplicated(item, label, letters)
            return


def _quoted_options(item: LintedItem, letters: Sequence[str]) -> str:
    return ", ".join(f"{letter}. '{item.options[CHOICE_LETTERS.index(letter)]}'" for letter in letters)


def _ambiguous_key(item: LintedItem, label: str, letters: list[str]) -> Finding:
    return Finding(
        "ambiguous_key",
        "error",
        f"Options {_quoted_options(item, letters)} denote one label, the key's ({item.answer}): two right "
        "answers. Not waivable: name each label once in the options.",
        item=item,
        details={"letters": letters, "label": label, "key": item.answer},
    )


def _duplicated(item: LintedItem, label: str, letters: list[str]) -> Finding:
    first, second = (item.options[CHOICE_LETTERS.index(letter)] for letter in letters[:2])
    message = (
        f"Options {letters[0]} and {letters[1]} are the same: '{first}'."
        if normalized(first) == normalized(second)
        else f"Options {_quoted_options(item, letters)} denote the same label."
    )
    return Finding(
        "duplicate_options",
        "error",
        message,
        item=item,
        details={"letters": letters[:2], "option": first, "label": label},
    )


def _options_misfit(item: LintedItem) -> Iterable[Finding]:
    if item.task == "CMAR":
        expected, names = {c.name.lower() for c in COARSE_LABELS.values()}, COARSE_BY_NAME
    elif item.task == "FMAR":
        expected, names = None, FINE_BY_NAME
    else:
        return
    options = [option.strip().lower() for option in item.options]
    unknown = [option for option, low in zip(item.options, options, strict=True) if low not in names]
    count = TASKS[item.task].option_count
    problems = []
    if len(options) != count:
        problems.append(f"{len(options)} options, expected {count}")
    if unknown:
        problems.append(f"not MA-52 {'coarse' if expected else 'fine'} labels: {', '.join(repr(u) for u in unknown)}")
    if expected is not None and not unknown and set(options) != expected:
        problems.append(f"missing coarse labels: {', '.join(sorted(expected - set(options)))}")
    if problems:
        yield Finding(
            "options_misfit",
            "error",
            "Options do not fit the task: " + "; ".join(problems) + ".",
            item=item,
            details={"unknown": unknown},
        )


def _label_codes(item: LintedItem) -> Iterable[Finding]:
    for letter, option in zip(CHOICE_LETTERS, item.options, strict=False):
        code = LABEL_CODE.search(option)
        if code and code.group(0) in FINE_LABELS:
            yield Finding(
                "label_leak",
                "error",
                f"Option {letter} carries the label code {code.group(0)}: '{option}'.",
                item=item,
                details={"code": code.group(0), "letter": letter},
            )
            return


def _options_give_key(item: LintedItem) -> Iterable[Finding]:
    """A solver that knows the template generator's tables and sees only the options answers this item."""
    if TASKS[item.task].answer_format != AnswerFormat.CHOICE or key_option(item) is None:
        return
    found = only_possible_key(item.task, item.options)
    if found is None or CHOICE_LETTERS[found[0]] != item.answer:
        return
    generators = found[1]
    yield Finding(
        "options_give_key",
        "error",
        f"Only option {item.answer} ('{item.options[found[0]]}') can be the key of these options under the "
        f"tables of {' and '.join(generators)}: the options give the key away.",
        item=item,
        details={"letter": item.answer, "generators": generators},
    )


def mare_labels(answer: str) -> tuple[str, str] | None:
    """The (coarse, fine) texts of a MARE answer's closing label line, if it has one."""
    match = MARE_LABEL_LINE.search(answer.strip())
    return (match["coarse"].strip(" *"), match["fine"].strip(" *")) if match else None


def _known_label(stated: str, names: dict) -> str | None:
    """The longest label name that ``stated`` starts with (generators append words after it)."""
    low = stated.lower()
    starts = [
        name
        for name in names
        if low == name or low.startswith(name + " ") or low.startswith(name + "*") or low.startswith(name + ",")
    ]
    return max(starts, key=len) if starts else None


def _mare_format(item: LintedItem) -> Iterable[Finding]:
    if item.task != "MARE" or not item.answer.strip():
        return
    labels = mare_labels(item.answer)
    if labels is None:
        yield Finding(
            "mare_format",
            "warning",
            "The answer does not end in '[Body part (coarse-grained)] X | [Micro-action (fine-grained)] Y'.",
            item=item,
        )
        return
    coarse, fine = labels
    inexact = [text for text, names in ((coarse, COARSE_BY_NAME), (fine, FINE_BY_NAME)) if text.lower() not in names]
    if inexact:
        yield Finding(
            "mare_format",
            "warning",
            "The label line does not name exactly MA-52 labels: "
            + "; ".join(repr(text[:80]) for text in inexact)
            + ".",
            item=item,
        )


# --- checks across the questions of one clip ----------------------------------------------


def clip_findings(items: Sequence[LintedItem], caption: LintedCaption | None) -> list[Finding]:
    by_task = defaultdict(list)
    for item in items:
        by_task[item.task].append(item)
    keys = {task: key_option(by_task[task][0]) for task in ("CMAR", "FMAR") if len(by_task[task]) == 1}
    return [
        *_labels_named(items, keys.get("FMAR") or (caption and FINE_LABELS[caption.fine_label].name)),
        *_mare_against_keys(by_task["MARE"], keys),
        *_caption_against_keys(caption, keys),
        *_near_duplicates(items),
    ]


def _texts_naming_no_label(item: LintedItem) -> Iterable[tuple[str, str]]:
    if item.task not in FIXED_STEM_TASKS:
        yield "question", item.question
    if TASKS[item.task].is_open and item.task not in LABEL_ANSWER_TASKS:
        yield "reference answer", item.answer


def _labels_named(items: Sequence[LintedItem], fine_key: str | None) -> Iterable[Finding]:
    """Questions and reference answers of tasks that do not ask for the label, naming it or a code."""
    for item in items:
        for part, text in _texts_naming_no_label(item):
            if mentions := label_mentions(text, fine_key):
                yield Finding(
                    "label_leak",
                    "error",
                    f"The {part} {' and '.join(mentions)}; {item.task} does not ask for the label.",
                    item=item,
                    details={"label": fine_key, "field": part},
                )
                break


def _mare_against_keys(mare_items: Sequence[LintedItem], keys: dict[str, str | None]) -> Iterable[Finding]:
    for item in mare_items:
        labels = mare_labels(item.answer)
        if labels is None:
            continue
        stated = {"CMAR": _known_label(labels[0], COARSE_BY_NAME), "FMAR": _known_label(labels[1], FINE_BY_NAME)}
        wrong = [
            f"{task} key is '{keys[task]}', answer says '{stated[task]}'"
            for task in ("CMAR", "FMAR")
            if keys.get(task) and stated[task] and keys[task].lower() != stated[task]
        ]
        if wrong:
            yield Finding(
                "mare_label_mismatch",
                "error",
                "MARE labels disagree with the clip's keys: " + "; ".join(wrong) + ".",
                item=item,
                details={"stated": stated, "keys": keys},
            )


def _caption_against_keys(caption: LintedCaption | None, keys: dict[str, str | None]) -> Iterable[Finding]:
    if caption is None:
        return
    labels = {"CMAR": COARSE_LABELS[caption.coarse_label].name, "FMAR": FINE_LABELS[caption.fine_label].name}
    wrong = [
        f"caption says '{labels[task]}', {task} key is '{keys[task]}'"
        for task in ("CMAR", "FMAR")
        if keys.get(task) and keys[task].lower() != labels[task].lower()
    ]
    if wrong:
        yield Finding(
            "caption_label",
            "warning",
            "Caption labels disagree with the clip's keys: " + "; ".join(wrong) + ".",
            caption=caption,
        )


@lru_cache(maxsize=CACHED_TEXTS)
def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> tuple[str, ...]:
    """The stems that carry meaning, in order (order matters: "A before B" is not "B before A")."""
    return tuple(_stem(word) for word in normalized(text).split() if word not in FILLER_WORDS)


def _near_duplicates(items: Sequence[LintedItem]) -> Iterable[Finding]:
    seen: dict[tuple[str, ...], LintedItem] = {}
    for item in sorted(items, key=lambda i: i.qid):
        words = content_words(item.question)
        if words in seen:
            first = seen[words]
            yield Finding(
                "near_duplicate_question",
                "warning",
                f"Asks the same as {first.qid} with other filler words.",
                item=item,
                details={"duplicate_of": first.qid},
            )
        else:
            seen[words] = item


# --- checks across a whole benchmark -------------------------------------------------


def yes_no_balance_findings(key_counts_by_task: Mapping[str, Counter[str]]) -> list[Finding]:
    """``key_counts_by_task``: for each yes/no task, how many items have each key."""
    findings = []
    low, high = BALANCE_RANGE
    for task, counts in sorted(key_counts_by_task.items()):
        yes, no = counts.get("Yes", 0), counts.get("No", 0)
        if yes + no < BALANCE_MIN_ITEMS:
            continue
        share = yes / (yes + no)
        if not low <= share <= high:
            findings.append(
                Finding(
                    "yes_no_balance",
                    "warning",
                    f"{task}: {share:.1%} of {yes + no} keys are Yes (expected 45-55%).",
                    task=task,
                    details={"yes": yes, "no": no, "share_yes": round(share, 4)},
                )
            )
    return findings


@dataclass(frozen=True)
class LengthBand:
    """What an open task's answer lengths make typical: their median, and how far from it (``spread``,
    characters) a length may be before it is an outlier."""

    median: float
    spread: float

    def is_outlier(self, length: int) -> bool:
        return abs(length - self.median) > self.spread or length < LENGTH_MIN_CHARS


def length_band(lengths: Sequence[int]) -> LengthBand | None:
    """The band of one task's keyed answer lengths; None below ``LENGTH_MIN_ITEMS`` answers."""
    return length_band_of_counts(Counter(lengths))


def length_band_of_counts(counts: Mapping[int, int]) -> LengthBand | None:
    """``length_band`` from how many answers have each length (a histogram, as the benchmark's answer
    tally keeps it): the same median and spread, as the same numbers, without a list of every answer."""
    total = sum(counts.values())
    if total < LENGTH_MIN_ITEMS:
        return None
    median = _median_of_counts(counts, total)
    deviations: Counter = Counter()
    for length, n in counts.items():
        deviations[abs(length - median)] += n
    spread = LENGTH_MAD_FACTOR * 1.4826 * max(_median_of_counts(deviations, total), 1)
    return LengthBand(median=median, spread=spread)


def _median_of_counts(counts: Mapping, total: int):
    """``statistics.median`` of the multiset ``counts`` (value -> how many), with its types: the middle
    value itself for an odd total, the mean of the two middle values (a float) for an even one."""
    wanted = [total // 2] if total % 2 else [total // 2 - 1, total // 2]
    picked, seen = [], 0
    for value in sorted(v for v, n in counts.items() if n > 0):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            picked.append(value)
            wanted.pop(0)
        if not wanted:
            break
    return picked[0] if total % 2 else (picked[0] + picked[1]) / 2


def answer_length_findings(lengths_by_task: Mapping[str, Sequence[tuple[LintedItem, int]]]) -> list[Finding]:
    """``lengths_by_task``: each open task's keyed items with their answer length in characters."""
    findings = []
    for task, keyed in sorted(lengths_by_task.items()):
        band = length_band([n for _, n in keyed])
        if band is not None:
            findings += length_outlier_findings(task, keyed, band)
    return findings


def length_outlier_findings(task: str, keyed: Iterable[tuple[LintedItem, int]], band: LengthBand) -> list[Finding]:
    """The outliers among ``keyed`` (items of ``task`` with their answer lengths) under ``band``."""
    median, spread = band.median, band.spread
    return [
        Finding(
            "answer_length_outlier",
            "warning",
            f"{length} characters; {task} answers have a median of {median:g} (expected "
            f"{max(median - spread, LENGTH_MIN_CHARS):.0f}-{median + spread:.0f}).",
            item=item,
            details={"characters": length, "median": median},
        )
        for item, length in keyed
        if band.is_outlier(length)
    ]


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for X chi-square with ``df`` degrees of freedom (exact: the closed form of the
    regularised upper incomplete gamma function at half-integer shape, built up two degrees at a time)."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    shape, tail = (0.0, 0.0) if df % 2 == 0 else (0.5, math.erfc(math.sqrt(half)))
    while shape < df / 2:
        tail += math.exp(shape * math.log(half) - half - math.lgamma(shape + 1))
        shape += 1
    return min(tail, 1.0)


def key_letter_balance_findings(key_counts_by_task: Mapping[str, Counter[str]]) -> list[Finding]:
    """``key_counts_by_task``: for each choice task, how many items have each key letter."""
    findings = []
    for task, counts in sorted(key_counts_by_task.items()):
        k = TASKS[task].option_count
        letters = CHOICE_LETTERS[:k]
        n = sum(counts.get(letter, 0) for letter in letters)
        if n < POSITION_MIN_EXPECTED * k:
            continue
        expected = n / k
        chi_square = sum((counts.get(letter, 0) - expected) ** 2 / expected for letter in letters)
        p_value = chi_square_sf(chi_square, k - 1)
        worst = max(letters, key=lambda letter: abs(counts.get(letter, 0) - expected))
        share = counts.get(worst, 0) / n
        if p_value >= POSITION_P_VALUE or abs(share - 1 / k) <= POSITION_TOLERANCE / k:
            continue
        spread = "/".join(str(counts.get(letter, 0)) for letter in letters)
        findings.append(
            Finding(
                "option_position_balance",
                "warning",
                f"{task}: keys {letters[0]}-{letters[-1]} are {spread} of {n}; {worst} has {share:.1%} "
                f"(expected {1 / k:.1%} each; chi-square {chi_square:.1f}, p = {p_value:.2g}). Reorder options "
                "to balance them (rebalance_options).",
                task=task,
                details={
                    "counts": {letter: counts.get(letter, 0) for letter in letters},
                    "chi_square": round(chi_square, 3),
                    "p_value": p_value,
                    "letter": worst,
                },
            )
        )
    return findings
