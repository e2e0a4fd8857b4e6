"""The dataset card of a release's folder export: ``README.md`` with Hugging Face's YAML header
(license, task categories, size category, configs naming the data files), then the datasheet as
Markdown tables. ``datasets.load_dataset(folder)`` reads the header's configs.

YAML scalars are written as JSON strings (valid YAML), so no text can break the header; table
cells are HTML-escaped and their pipes and line breaks neutralised."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass

from annotation.exports.datasheet_tables import SectionView, Table, datasheet_views

TASK_CATEGORIES = ("video-text-to-text", "visual-question-answering")
SIZE_BOUNDS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


@dataclass(frozen=True)
class DataFile:
    config: str  # the config name in the card ("default" is what load_dataset(folder) reads)
    path: str  # relative to the folder
    fmt: str  # the export format whose bytes it is
    sha256: str
    describes: str


def size_category(rows: int) -> str:
    for bound, name in SIZE_BOUNDS:
        if rows < bound:
            return name
    return "n>1M"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def yaml_header(*, pretty_name: str, license_id: str, rows: int, configs: list[DataFile], tags: list[str]) -> str:
    lines = ["---", f"pretty_name: {_q(pretty_name)}", f"license: {_q(license_id)}", "task_categories:"]
    lines += [f"- {_q(category)}" for category in TASK_CATEGORIES]
    lines += ["size_categories:", f"- {_q(size_category(rows))}", "tags:"]
    lines += [f"- {_q(tag)}" for tag in tags]
    lines.append("configs:")
    for data_file in configs:
        lines += [
            f"- config_name: {_q(data_file.config)}",
            "  data_files:",
            "  - split: test",
            f"    path: {_q(data_file.path)}",
        ]
    return "\n".join([*lines, "---", ""])


def _text(value: str) -> str:
    return html.escape(value, quote=False).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(table: Table) -> str:
    headers = table.headers if any(table.headers) else ["", ""]
    lines = [f"**{_text(table.title)}**", "", "| " + " | ".join(_text(h) or " " for h in headers) + " |"]
    lines.append("|" + "---|" * len(headers))
    lines += ["| " + " | ".join(_text(c) for c in row) + " |" for row in table.rows] or [
        "| " + "none | " * len(headers)
    ]
    return "\n".join(lines) + "\n"


def _section(view: SectionView) -> str:
    parts = [f"### {_text(view.title)}\n"]
    if view.reads:
        parts.append(_text(view.reads) + "\n")
    parts += [markdown_table(table) for table in view.tables]
    parts += [f"_{_text(note)}_\n" for note in view.notes]
    return "\n".join(parts)


def dataset_card(*, release, license_id: str, files: list[DataFile], datasheet: Mapping | None) -> str:
    """The README.md text for ``release`` (a Release) with its data ``files`` (the first is the default config)."""
    name = f"{release.benchmark.name} {release.tag}"
    configs = [f for f in files if f.config]
    header = yaml_header(
        pretty_name=name,
        license_id=license_id,
        rows=release.item_count,
        configs=configs,
        tags=["video", "micro-action", "benchmark", "ma-bench"],
    )
    intro = [
        f"# {_text(name)}",
        "",
        f"{release.item_count} questions on {_text(release.benchmark.name)}, cut by {_text(release.created_by.username)} "
        f"on {release.created_at.date().isoformat()} (release sha256 {release.sha256}).",
        "",
    ]
    if release.notes:
        intro += [_text(release.notes), ""]
    file_table = Table(
        "Files",
        ["file", "config", "export format", "sha256", "what it is"],
        [[f.path, f.config or "—", f.fmt, f.sha256, f.describes] for f in files],
    )
    body = ["## Files\n", markdown_table(file_table)]
    body.append(
        "`datasets.load_dataset(<this folder>)` reads the default config; name another with "
        '`load_dataset(<folder>, "questions-only")`. Every file is the export of that format byte for byte: '
        "its sha256 is the one the datasheet's digests list.\n"
    )
    body.append("## Datasheet\n")
    if datasheet is None:
        body.append("This release was cut before datasheets were recorded: it has none.\n")
    else:
        body.append(
            "Computed when the release was cut, inside the cut's transaction, and frozen with it. "
            "The same datasheet is the `release.datasheet` of `release.json`.\n"
        )
        body += [_section(view) for view in datasheet_views(dict(datasheet))]
    return header + "\n".join(intro + body)
