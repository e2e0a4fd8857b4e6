"""A release as a Hugging Face dataset folder: the card's YAML header, data files that are the exports byte
for byte, and ``datasets.load_dataset(folder)`` reading it offline (in a process of its own)."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.services.releases import release_create

LOAD = """
import json, sys
import datasets
folder = sys.argv[1]
out = {}
for config in ("default", "questions-only"):
    loaded = datasets.load_dataset(folder) if config == "default" else datasets.load_dataset(folder, config)
    split = loaded["test"]
    out[config] = {"rows": split.num_rows, "columns": split.column_names, "qids": list(split["qid"])}
print(json.dumps(out))
"""


@pytest.fixture
def folder(accepted_items, benchmark, admin_user, tmp_path):
    release = release_create(benchmark=benchmark, tag="v1", user=admin_user, notes="Five | questions & 1 < 2")
    out = tmp_path / "hf"
    call_command("export_release", benchmark.name, "v1", hf_folder=out, license_id="cc-by-nc-4.0")
    return release, out


def _header(readme: str) -> dict:
    assert readme.startswith("---\n")
    return yaml.safe_load(readme.split("---\n")[1])


def test_the_card_header_names_license_tasks_size_and_configs(folder):
    release, out = folder
    readme = (out / "README.md").read_text()
    header = _header(readme)
    assert header["license"] == "cc-by-nc-4.0"
    assert header["task_categories"] == ["video-text-to-text", "visual-question-answering"]
    assert header["size_categories"] == ["n<1K"]
    assert header["configs"] == [
        {"config_name": "default", "data_files": [{"split": "test", "path": "data/test.json"}]},
        {"config_name": "questions-only", "data_files": [{"split": "test", "path": "data/questions_only.json"}]},
    ]
    assert "### Human blind accuracy" in readme and "### Digests" in readme
    assert "Five \\| questions &amp; 1 &lt; 2" in readme  # machine text is escaped in the card


def test_the_data_files_are_the_exports_byte_for_byte(folder):
    release, out = folder
    digests = release.datasheet["digests"]["sha256"]
    files = {"data/test.json": "mac", "data/questions_only.json": "questions-only", "data/rich.jsonl": "jsonl"}
    for path, fmt in files.items():
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == digests[fmt] == release.export_sha256[fmt]
    assert hashlib.sha256((out / "release.json").read_bytes()).hexdigest() == release.export_sha256["json"]
    assert json.loads((out / "release.json").read_text())["release"]["datasheet"] == release.datasheet


def test_datasets_loads_the_folder_offline(folder, tmp_path):
    release, out = folder
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(out)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    qids = list(release.items.order_by("position").values_list("qid", flat=True))
    assert loaded["default"] == {"rows": 5, "columns": ["video", "task", "qid", "question", "answer"], "qids": qids}
    assert loaded["questions-only"]["rows"] == 5 and "answer" not in loaded["questions-only"]["columns"]


def test_a_folder_is_not_written_over(folder, benchmark):
    _, out = folder
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("export_release", benchmark.name, "v1", hf_folder=out)
