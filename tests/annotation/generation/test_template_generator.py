"""The template generator: CMAR and FMAR that pass lint, option sets of near confusions
drawn around the key, deterministic under a seed, key letters uniform. (That the options
say nothing about the key: test_key_inference.py.)"""

from collections import Counter

import pytest

from annotation.domain import lint
from annotation.domain.taxonomy import CHOICE_LETTERS, COARSE_LABELS, FINE_BY_NAME, FINE_LABELS
from annotation.generation.balance import clip_random, shuffled_with_key
from annotation.generation.base import CaptionedClip
from annotation.generation.confusions import CONFUSABLE_PAIRS, CONFUSION_CYCLE, cycle_distance
from annotation.generation.stems import STEMS
from annotation.generation.template import TemplateGenerator
from annotation.models import QAItem
from annotation.services.audited_writes import Actor, create_audited

CHI_SQUARE_999 = {6: 22.458, 4: 18.467}  # critical values at p = 0.001 for 7 and 5 letters


def clip(name: str, fine: str) -> CaptionedClip:
    return CaptionedClip(clip_name=name, coarse_label=FINE_LABELS[fine].coarse, fine_label=fine, dominant_part="head")


def every_label_clips(rounds: int = 1) -> list[CaptionedClip]:
    return [clip(f"take_{r}_{code}", code) for r in range(rounds) for code in FINE_LABELS]


def test_options_are_the_labels_with_the_caption_key(coarse_names):
    for captioned in every_label_clips(rounds=3):
        cmar, fmar = TemplateGenerator(seed=5).generate(captioned)
        assert (cmar.task, fmar.task) == ("CMAR", "FMAR")
        assert set(cmar.options) == coarse_names and len(cmar.options) == 7
        assert cmar.options[CHOICE_LETTERS.index(cmar.answer)] == captioned.coarse_name
        assert len(set(fmar.options)) == 5 and all(o.lower() in FINE_BY_NAME for o in fmar.options)
        assert fmar.options[CHOICE_LETTERS.index(fmar.answer)] == captioned.fine_name


@pytest.mark.django_db
def test_every_generated_item_passes_lint(benchmark, make_captioned_clip):
    """All 52 keys, written as items and linted item by item and clip by clip with their caption."""
    generator = TemplateGenerator(seed=11)
    for code in FINE_LABELS:
        video = make_captioned_clip(f"clip_{code}", code)
        for item in generator.generate(CaptionedClip.of(video.caption, clip_name=video.clip_name)):
            create_audited(
                model=QAItem,
                actor=Actor.machine(generator.source),
                values={
                    "benchmark": benchmark,
                    "video": video,
                    "qid": f"{item.task}_{code}",
                    "task": item.task,
                    "question": item.question,
                    "options": list(item.options),
                    "answer": item.answer,
                },
            )
    items = list(QAItem.objects.filter(benchmark=benchmark).select_related("video__caption"))
    assert len(items) == 104
    findings = [f for item in items for f in lint.item_findings(item)]
    for video_id in {item.video_id for item in items}:
        clip_items = [i for i in items if i.video_id == video_id]
        findings += lint.clip_findings(clip_items, clip_items[0].video.caption)
    assert findings == []


def test_the_same_seed_gives_the_same_items_and_another_seed_other_orders():
    clips = every_label_clips(rounds=2)
    first = [TemplateGenerator(seed=3).generate(c) for c in clips]
    assert [TemplateGenerator(seed=3).generate(c) for c in clips] == first
    assert [TemplateGenerator(seed=3).generate(c) for c in reversed(clips)] == list(reversed(first))  # order-free
    other = [TemplateGenerator(seed=4).generate(c) for c in clips]
    changed = sum(a[0].options != b[0].options for a, b in zip(first, other, strict=True))
    assert changed > len(clips) * 0.9


WINDOWS = {frozenset(CONFUSION_CYCLE[(start + n) % 52] for n in range(5)) for start in range(52)}


def test_fmar_options_are_five_consecutive_labels_of_the_confusion_cycle_around_the_key():
    seen = {code: set() for code in FINE_LABELS}
    for captioned in every_label_clips(rounds=20):
        fmar = TemplateGenerator(seed=1).generate(captioned, tasks=("FMAR",))[0]
        codes = frozenset(FINE_BY_NAME[option.lower()].code for option in fmar.options)
        assert codes in WINDOWS and captioned.fine_label in codes, fmar.options
        seen[captioned.fine_label].add(codes)
    assert all(len(sets) >= 3 for sets in seen.values())  # not one fixed set per key: 5 are drawn from


def test_the_confusion_cycle_keeps_confusable_labels_together():
    assert sorted(CONFUSION_CYCLE) == sorted(FINE_LABELS)
    parts = [FINE_LABELS[code].coarse for code in CONFUSION_CYCLE]
    assert sum(a != b for a, b in zip(parts, parts[1:] + parts[:1], strict=True)) == 7  # one run per body part
    distances = sorted(cycle_distance(a, b) for a, b, _ in CONFUSABLE_PAIRS)
    assert distances.count(1) == 31 and distances.count(2) == 3
    for a, b, _ in CONFUSABLE_PAIRS:  # so a key's confusable label is among its options 3 or 4 times in 5
        with_a = [window for window in WINDOWS if a in window]
        assert sum(b in window for window in with_a) >= 3, (a, b)


def test_cmar_items_are_those_1_0_wrote_all_seven_labels_shuffled():
    for captioned in every_label_clips():
        cmar = TemplateGenerator(seed=2).generate(captioned, tasks=("CMAR",))[0]
        rng = clip_random(2, captioned.clip_name, "CMAR")
        options, key = shuffled_with_key([c.name for c in COARSE_LABELS.values()], captioned.coarse_name, rng)
        assert (cmar.options, cmar.answer, cmar.question) == (tuple(options), key, rng.choice(STEMS["CMAR"]))


def test_the_confusable_pairs_table_names_real_distinct_labels_once():
    pairs = [frozenset((a, b)) for a, b, _ in CONFUSABLE_PAIRS]
    assert all(a in FINE_LABELS and b in FINE_LABELS and a != b for a, b, _ in CONFUSABLE_PAIRS)
    assert len(set(pairs)) == len(pairs)


def chi_square(counts: Counter, letters: str) -> float:
    expected = sum(counts.values()) / len(letters)
    return sum((counts.get(letter, 0) - expected) ** 2 / expected for letter in letters)


def test_key_letters_are_uniform_over_many_clips():
    clips = every_label_clips(rounds=27)  # 1,404 clips, every key 27 times
    generator = TemplateGenerator(seed=0)
    keys = {"CMAR": Counter(), "FMAR": Counter()}
    for captioned in clips:
        for item in generator.generate(captioned):
            keys[item.task][item.answer] += 1
    for task, letters in (("CMAR", "ABCDEFG"), ("FMAR", "ABCDE")):
        assert set(keys[task]) == set(letters)
        assert chi_square(keys[task], letters) < CHI_SQUARE_999[len(letters) - 1], keys[task]
        share = {letter: n / len(clips) for letter, n in keys[task].items()}
        assert max(abs(s - 1 / len(letters)) for s in share.values()) < 0.035, share
