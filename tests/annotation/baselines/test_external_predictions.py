import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.models import BaselineRun, Prediction
from annotation.selectors.scores import run_scores


@pytest.fixture
def items(make_item):
    return [
        make_item("SAD_0001", answer="Yes"),
        make_item("SAD_0002", question="Does it stop?", answer="No"),
        make_item("FMAR_0001", task="FMAR"),
    ]


def submit(tmp_path, answers, prompts=({"task": "SAD", "system_prompt": "Answer Yes or No."},)):
    path = tmp_path / "submission.json"
    path.write_text(json.dumps({"prompts": list(prompts), "answers": answers}))
    return str(path)


def test_a_mac_submission_becomes_a_scored_run(db, items, benchmark, tmp_path, capsys):
    path = submit(
        tmp_path,
        [
            {"qid": "SAD_0001", "pred_answer": "yes"},
            {"qid": "SAD_0002", "pred_answer": "Yes."},
            {"qid": "FMAR_0001", "pred_answer": "A. Nodding"},
        ],
    )
    call_command("import_predictions", path, "--benchmark", benchmark.name, "--name", "Model X")
    run = BaselineRun.objects.get(name="Model X")
    assert (run.predictor, run.status, run.total) == ("external", "done", 3)
    assert run.settings["system_prompts"] == {"SAD": "Answer Yes or No."}
    assert dict(Prediction.objects.filter(run=run).values_list("item__qid", "correct")) == {
        "SAD_0001": True,
        "SAD_0002": False,
        "FMAR_0001": True,
    }
    assert run_scores(run).accuracy == {"SAD": 50.0, "FMAR": 100.0}
    assert "imported 3 predictions" in capsys.readouterr().out
    with pytest.raises(CommandError, match="imported into Test bench already"):
        call_command("import_predictions", path, "--benchmark", benchmark.name, "--name", "Model X")


def test_unknown_qids_are_named_and_nothing_is_imported(db, items, benchmark, tmp_path):
    path = submit(
        tmp_path,
        [
            {"qid": "SAD_0001", "pred_answer": "Yes"},
            {"qid": "CMAC_0219", "pred_answer": "E"},
            {"qid": "SAD_0001", "pred_answer": "No"},
            {"pred_answer": "No"},
        ],
    )
    with pytest.raises(CommandError) as raised:
        call_command("import_predictions", path, "--benchmark", benchmark.name, "--name", "Broken")
    text = str(raised.value)
    assert "row 2 (CMAC_0219), field 'qid': no such qid in the benchmark" in text
    assert "row 3 (SAD_0001), field 'qid': a second answer for this qid" in text
    assert "row 4: each answer needs a string 'qid' and 'pred_answer'" in text
    assert not BaselineRun.objects.exists()
