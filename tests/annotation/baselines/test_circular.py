"""Circular evaluation: every rotation of a choice item's options asked; right only when every rotation is."""

import json
import math
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotation.dispatch import settings_hash
from annotation.domain.taxonomy import COARSE_LABELS
from annotation.errors import InvalidInput
from annotation.models import BaselineRun, Prediction, QualityFlag
from annotation.selectors.scores import run_scores
from annotation.services.baselines import run_prepare

FINE = ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]
COARSE = [label.name for label in COARSE_LABELS.values()]
OPTION_LINE = re.compile(r"^([A-G])\. (.*)$", re.M)


@pytest.fixture
def choice_items(make_item):
    """FMAR (5 options) and CMAR (7 options) items with every key letter in turn, and yes/no items."""
    made = [
        make_item(f"FMAR_{n:04d}", task="FMAR", question=f"Which label fits FMAR_{n:04d}?", answer="ABCDE"[n % 5])
        for n in range(60)
    ]
    made += [
        make_item(
            f"CMAR_{n:04d}",
            task="CMAR",
            question=f"Which body part acts in CMAR_{n:04d}?",
            options=COARSE,
            answer="ABCDEFG"[n % 7],
        )
        for n in range(28)
    ]
    made += [make_item(f"SAD_{n:04d}", answer="Yes" if n % 2 else "No") for n in range(4)]
    return made


def sent_options(prompt: list[dict]) -> list[str]:
    """The options of a stored prompt as the model read them, in order."""
    text = prompt[-1]["content"][-1]["text"]
    return [option for _, option in OPTION_LINE.findall(text)]


def key_text(item) -> str:
    assert item.answer in "ABCDEFG"[: len(item.options)], (item.qid, item.answer, item.options)
    return item.options["ABCDEFG".index(item.answer)]


def binomial_upper(n: int, p: float, tail: float = 1e-4) -> int:
    """The smallest k with P(X > k) < tail for X ~ Binomial(n, p)."""
    cumulative = 0.0
    for k in range(n + 1):
        cumulative += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if 1 - cumulative < tail:
            return k
    return n


def binomial_lower(n: int, p: float, tail: float = 1e-4) -> int:
    """The largest k with P(X < k) < tail."""
    cumulative = 0.0
    for k in range(n + 1):
        term = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if cumulative + term >= tail:
            return k
        cumulative += term
    return n


def test_a_circular_random_run_scores_what_chance_gives_when_every_rotation_must_be_right(
    benchmark, choice_items, tasks_in_process
):
    with tasks_in_process():
        plain = run_prepare(benchmark=benchmark, predictor="random", name="random", settings={"seed": 5})
        circular = run_prepare(
            benchmark=benchmark, predictor="random", name="random circular", settings={"seed": 5, "circular": True}
        )
    plain.refresh_from_db(), circular.refresh_from_db()
    assert plain.settings_hash == settings_hash(predictor="random", settings={"seed": 5}, tasks=[])  # as before
    assert circular.pk != plain.pk and (circular.status, circular.total, circular.done) == ("done", 500, 500)
    rows = list(Prediction.objects.filter(run=circular).select_related("item"))
    assert len(rows) == 60 * 5 + 28 * 7 + 4  # yes/no items are asked once

    # rotation 0 is the plain run's prediction, so plain accuracy is the same
    unrotated = {p.item_id: p.parsed_answer for p in rows if p.rotation == 0}
    assert unrotated == dict(Prediction.objects.filter(run=plain).values_list("item_id", "parsed_answer"))
    scores, plain_scores = run_scores(circular), run_scores(plain)
    assert scores.accuracy == plain_scores.accuracy and plain_scores.circular == {}

    # Recomputed from the reply: the option its letter names in rotation r's order (options r, r + 1, ... around)
    by_item: dict[int, list[bool]] = {}
    for prediction in rows:
        if prediction.item.task in ("FMAR", "CMAR"):
            options, r = prediction.item.options, prediction.rotation
            sent = options[r:] + options[:r]
            chosen = sent["ABCDEFG".index(prediction.raw_reply)]
            assert prediction.correct == (chosen == key_text(prediction.item))
            by_item.setdefault(prediction.item_id, []).append(chosen == key_text(prediction.item))
    for task, count, options in (("FMAR", 60, 5), ("CMAR", 28, 7)):
        right = [all(hits) for item_id, hits in by_item.items() if len(hits) == options]
        assert len(right) == count and scores.circular_scored[task] == count
        assert scores.circular[task] == pytest.approx(100 * sum(right) / count)
        # Chance: each rotation is right with p = 1/n, so an item with p^n; the rotations' draws are at chance
        hits = sum(h for item_id, item_hits in by_item.items() if len(item_hits) == options for h in item_hits)
        draws = count * options
        assert binomial_lower(draws, 1 / options) <= hits <= binomial_upper(draws, 1 / options)
        assert sum(right) <= binomial_upper(count, (1 / options) ** options)
        assert scores.circular[task] <= scores.accuracy[task]


def circular_blind_run(benchmark, server, name: str, *, tasks: list[str]) -> BaselineRun:
    settings = {"base_url": server.base_url, "model": name, "circular": True}
    return run_prepare(benchmark=benchmark, predictor="blind", name=name, tasks=tasks, settings=settings)


def always_a(request, call):
    from chat_endpoint import completion

    return 200, completion("A"), 0.0


def test_a_model_that_always_answers_a_is_position_sensitive_on_every_item_and_never_circularly_right(
    benchmark, choice_items, chat_endpoint, tasks_in_process
):
    with chat_endpoint(always_a) as server, tasks_in_process():
        run = circular_blind_run(benchmark, server, "always A", tasks=["FMAR", "CMAR"])
    assert len(server.requests) == 60 * 5 + 28 * 7
    first = choice_items[2]  # FMAR_0002, key C: its five requests show the options rotated
    texts = [r["json"]["messages"][-1]["content"][-1]["text"] for r in server.requests if "FMAR_0002?" in str(r)]
    assert sorted(OPTION_LINE.findall(t)[0][1] for t in texts) == sorted(first.options)
    for prediction in Prediction.objects.filter(run=run, item=first):
        r = prediction.rotation
        assert sent_options(prediction.prompt) == first.options[r:] + first.options[:r]  # the prompt as sent
        assert (prediction.raw_reply, prediction.parsed_answer) == ("A", "ABCDE"[r])  # in the item's letters
    scores = run_scores(run)
    assert scores.accuracy == {"FMAR": 20.0, "CMAR": 100 / 7}  # the items whose key is A
    assert scores.circular == {"FMAR": 0.0, "CMAR": 0.0}

    flags = {f.item_id: f for f in QualityFlag.objects.filter(kind="position_sensitive", status="open")}
    choice = [item for item in choice_items if item.task in ("FMAR", "CMAR")]
    assert {item.pk for item in choice if item.answer != "A"} <= set(flags)
    # the key-A items too: the plain run credits them, but the answer moved with the options
    assert set(flags) == {item.pk for item in choice}
    flag = flags[first.pk]
    assert flag.details == {"runs": [{"run": "always A", "run_id": run.pk, "answers": ["A", "B", "C", "D", "E"]}]}
    assert flag.message.endswith("key 'C'): always A: A B C D E.")


def test_a_model_that_reads_the_options_is_circularly_right_and_not_flagged(
    benchmark, choice_items, chat_endpoint, reply_with, tasks_in_process
):
    keys = {item.question: key_text(item) for item in choice_items if item.task in ("FMAR", "CMAR")}

    def by_content(request, call):
        text = request["messages"][-1]["content"][-1]["text"]
        stem = text.split("\n", 1)[0]
        letter = next(letter for letter, option in OPTION_LINE.findall(text) if option == keys[stem])
        return 200, reply_with(f"The answer is {letter}."), 0.0

    with chat_endpoint(by_content) as server, tasks_in_process():
        run = circular_blind_run(benchmark, server, "reader", tasks=["FMAR", "CMAR"])
    scores = run_scores(run)
    assert scores.accuracy == scores.circular == {"FMAR": 100.0, "CMAR": 100.0}
    assert not QualityFlag.objects.filter(kind="position_sensitive").exists()
    assert set(Prediction.objects.filter(run=run).values_list("parsed_answer", flat=True)) == set("ABCDEFG")


def test_a_failed_rotation_is_left_out_of_circular_scores_and_is_the_only_request_on_resume(
    benchmark, make_item, chat_endpoint, reply_with, tasks_in_process
):
    item = make_item("FMAR_0001", task="FMAR", question="Which label fits FMAR_0001?", answer="B")
    failing = {"on": True}

    def script(request, call):
        text = request["messages"][-1]["content"][-1]["text"]
        if failing["on"] and "\nA. Waving" in text:  # rotation 2
            return 500, {"error": {"message": "crashed"}}, 0.0
        letter = next(letter for letter, option in OPTION_LINE.findall(text) if option == "Shaking head")
        return 200, reply_with(letter), 0.0

    settings = {"circular": True, "max_retries": 0, "model": "m"}
    with chat_endpoint(script) as server:
        settings["base_url"] = server.base_url
        with tasks_in_process():
            run = run_prepare(benchmark=benchmark, predictor="blind", name="m", settings=settings)
        run.refresh_from_db()
        assert (run.status, run.total, run.done, run.errors) == ("failed", 5, 4, 1)
        assert run_scores(run).circular == {} and run_scores(run).accuracy == {"FMAR": 100.0}
        failing["on"] = False
        before = len(server.requests)
        with tasks_in_process():
            run = run_prepare(benchmark=benchmark, predictor="blind", name="m", settings=settings)
    run.refresh_from_db()
    assert len(server.requests) == before + 1 and (run.status, run.done, run.errors) == ("done", 5, 0)
    assert run_scores(run).circular == {"FMAR": 100.0}
    assert list(Prediction.objects.filter(run=run, item=item).values_list("rotation", flat=True)) == [0, 1, 2, 3, 4]


def test_circular_is_a_setting_of_the_run_and_a_bad_probe_setting_names_its_field(benchmark, make_item):
    make_item("FMAR_0001", task="FMAR")
    plain = run_prepare(benchmark=benchmark, predictor="random", name="r", settings={"seed": 1})
    assert (
        run_prepare(benchmark=benchmark, predictor="random", name="r", settings={"seed": 1, "circular": False}) == plain
    )
    circular = run_prepare(benchmark=benchmark, predictor="random", name="r", settings={"seed": 1, "circular": True})
    assert circular.settings_hash != plain.settings_hash and circular.settings == {"seed": 1, "circular": True}
    with pytest.raises(InvalidInput) as refused:
        run_prepare(benchmark=benchmark, predictor="random", name="r", settings={"circular": "yes"})
    assert refused.value.field == "circular"
    with pytest.raises(InvalidInput) as refused:
        settings = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "sampling": "backwards-8"}
        run_prepare(benchmark=benchmark, predictor="openai-compatible", name="m", settings=settings)
    assert refused.value.field == "sampling" and "unknown sampling 'backwards-8'" in str(refused.value)
    assert BaselineRun.objects.count() == 2


def test_the_report_shows_circular_accuracy_beside_plain_accuracy(
    as_role, benchmark, choice_items, chat_endpoint, tasks_in_process
):
    with chat_endpoint(always_a) as server, tasks_in_process():
        circular_blind_run(benchmark, server, "always A", tasks=["FMAR"])
    page = as_role("reviewer").get(reverse("benchmark-report", args=[benchmark.pk])).content.decode()
    assert "FMAR circular</th>" in page and "question only · circular" in page
    row = page.split("<td>always A</td>", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:9] == ["—", "20.0", "—", "—", "—", "—", "—", "—", "0.0"]


@pytest.mark.django_db(transaction=True)  # the command follows the run, which starts when run_prepare commits
def test_the_command_runs_a_circular_baseline_and_refuses_an_unknown_sampling(
    benchmark, choice_items, tasks_in_process
):
    out = StringIO()
    with tasks_in_process():
        call_command(
            "run_baseline",
            "--benchmark",
            benchmark.name,
            "--predictor",
            "random",
            "--circular",
            "--seed",
            "2",
            stdout=out,
        )
    run = BaselineRun.objects.get()
    assert run.settings == {"seed": 2, "circular": True}
    first, *rest = out.getvalue().splitlines()
    assert first == "random: 500/500 predicted, 0 errors (done)"
    assert set(json.loads("\n".join(rest))["circular_accuracy"]) == {"FMAR", "CMAR"}
    with pytest.raises(CommandError, match="unknown sampling 'sideways-8'"):
        call_command(
            "run_baseline",
            *("--benchmark", benchmark.name, "--predictor", "openai-compatible", "--sampling", "sideways-8"),
            *("--base-url", "http://127.0.0.1:9/v1", "--model", "m"),
        )
