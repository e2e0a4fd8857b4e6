"""The datasheet of a release as tables of text cells, section by section: the datasheet page and the
dataset card (README.md of a folder export) show the same.
Sections without a layout of their own (a section added later) are laid out from their shape: a
mapping of mappings is a table (one row per key), scalars are a two-column table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from annotation.services.datasheets import DIGESTS

DASH = "—"


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class SectionView:
    name: str
    title: str
    reads: str  # how to read it
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cell(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return f"{cell(value[0])} – {cell(value[1])}"
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value) or DASH
    if isinstance(value, dict):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items()) or DASH
    return str(value)


def _pairs(title: str, values: dict) -> Table:
    return Table(title, ["", ""], [[str(k), cell(v)] for k, v in values.items()])


def _by_key(title: str, rows: dict, first: str) -> Table:
    columns: list[str] = []
    for row in rows.values():
        columns += [k for k in row if k not in columns]
    return Table(
        title, [first, *columns], [[str(key), *(cell(row.get(c)) for c in columns)] for key, row in rows.items()]
    )


def _measured(value: dict | None) -> str:
    if not value:
        return DASH
    if "ci95" not in value:
        return cell(value.get("value"))
    return f"{cell(value.get('value'))} [{cell(value.get('ci95'))}]"


def _counts(data: dict, view: SectionView) -> None:
    view.tables += [
        _pairs("Totals", {"items": data["items"], "clips": data["clips"]}),
        Table("Per task", ["task", "items"], [[t, str(n)] for t, n in data["by_task"].items()]),
        Table("Per tier", ["tier", "items"], [[t, str(n)] for t, n in data["by_tier"].items()]),
    ]


def _accuracy_row(name: str, row: dict) -> list[str]:
    return [name, str(row["answers"]), str(row["correct"]), cell(row["accuracy"]), cell(row["ci95"])]


def _human_accuracy(data: dict, view: SectionView) -> None:
    rows = [_accuracy_row(task, row) for task, row in data["tasks"].items()] + [_accuracy_row("all", data["all"])]
    view.tables.append(Table("Blind accuracy", ["task", "answers", "right", "accuracy %", "95% Wilson"], rows))
    view.notes.append(data["scope"])


def _agreement_row(name: str, row: dict) -> list[str]:
    return [
        name,
        str(row["units"]),
        cell(row["percent"]),
        _measured(row["cohen_kappa"]),
        _measured(row["krippendorff_alpha"]),
    ]


def _agreement(data: dict, view: SectionView) -> None:
    headers = ["task", "units", "agree %", "Cohen's kappa [95% bootstrap]", "Krippendorff's alpha [95% bootstrap]"]
    rows = [_agreement_row(task, row) for task, row in data["by_task"].items()]
    view.tables.append(Table("Blind answers", headers, [*rows, _agreement_row("all", data["answers"])]))
    if data["judge_vs_human"]:
        judge = data["judge_vs_human"]
        view.tables.append(
            Table(
                "Judge model against hand scores (open tasks)",
                ["task", "dimension", "pairs", "exact %", "within one %", "weighted kappa"],
                [
                    [
                        r["task"],
                        r["dimension"],
                        str(r["pairs"]),
                        *map(cell, (r["exact"], r["within_one"], r["weighted_kappa"])),
                    ]
                    for r in judge
                ],
            )
        )
    boot = data["bootstrap"]
    view.notes += [
        data["scope"],
        f"bootstrap: {boot['resamples']} resamples, seed {boot['seed']}, level {boot['level']}",
    ]


def _accuracy_of(measure: dict | None) -> str:
    return DASH if not measure else cell(measure["accuracy"])


def _models(data: dict, view: SectionView) -> None:
    tasks = sorted({task for run in data["runs"] for task in run["accuracy"]})
    view.tables.append(
        Table(
            "Runs (plain accuracy %, circular in brackets)",
            ["run", "condition", "model", *tasks],
            [
                [
                    run["name"],
                    run["condition"],
                    run["model"] or DASH,
                    *(
                        cell(run["accuracy"].get(t))
                        + (f" [{cell(run['circular_accuracy'][t])}]" if t in run["circular_accuracy"] else "")
                        for t in tasks
                    ),
                ]
                for run in data["runs"]
            ],
        )
    )
    if data["probes"]:
        rows = [
            [
                p["model"],
                p["task"],
                _accuracy_of(p["plain"]),
                cell(p["circular"]),
                _accuracy_of(p["blind"]),
                _accuracy_of(p["choices_only"]),
                _accuracy_of(p["single_frame"]),
                "; ".join(f"{g['probe']['condition']} {cell(g['probe']['accuracy'])}" for g in p["temporal"]) or DASH,
                cell(p["visual_gap"]),
                "; ".join(f"{g['probe']['condition']} {cell(g['gap'])}" for g in p["temporal"]) or DASH,
            ]
            for p in data["probes"]
        ]
        headers = [
            "model",
            "task",
            "plain",
            "circular",
            "blind",
            "choices only",
            "single frame",
            "shuffled / reversed",
            "visual gap",
            "temporal gap",
        ]
        view.tables.append(Table("Probes per model (percent; gaps in points)", headers, rows))
    view.notes.append(data["scope"])


def _flags(data: dict, view: SectionView) -> None:
    kinds = data["by_kind"]
    view.tables.append(
        Table(
            "Per kind",
            ["kind", "raised", "fixed", "waived", "open"],
            [[row["label"], *(str(row[k]) for k in ("raised", "fixed", "waived", "open"))] for row in kinds.values()],
        )
    )
    waivers = [
        [row["label"], w["reason"] or DASH, str(w["count"]), ", ".join(w["targets"])]
        for row in kinds.values()
        for w in row["waivers"]
    ]
    if waivers:
        view.tables.append(Table("Waivers", ["kind", "reason", "flags", "on"], waivers))


def _excluded(data: dict, view: SectionView) -> None:
    view.tables.append(
        Table(
            f"Excluded ({data['count']})",
            ["item", "task", "reason", "by", "when"],
            [
                [
                    e.get("qid") or e.get("clip", ""),
                    e.get("task", DASH),
                    e.get("reason") or DASH,
                    cell(e.get("excluded_by")),
                    cell(e.get("excluded_at")),
                ]
                for e in data["entries"]
            ],
        )
    )


def _disjointness(data: dict, view: SectionView) -> None:
    view.tables.append(
        _pairs(
            "Participants",
            {
                "checked against": data["checked_against"],
                "participants in the corpus": data["participants"],
                "shared with an evaluation benchmark": data["shared_participants"],
                "disjoint": data["disjoint"],
                "clips without a participant id": data["report"]["without_id"],
            },
        )
    )


def _caption_reviews(data: dict, view: SectionView) -> None:
    view.tables.append(_pairs("Caption reviews", data))


def _digests(data: dict, view: SectionView) -> None:
    view.tables.append(Table("sha256", ["format", "sha256"], [[f, d] for f, d in data["sha256"].items()]))
    view.notes.append(data["scope"])


def _is_table(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(row, dict) for row in value.values())


def _shaped(data: dict, view: SectionView) -> None:
    """A mapping of mappings is one table; otherwise scalars make a two-column table and each member that
    is a mapping of mappings a table of its own."""
    if _is_table(data):
        view.tables.append(_by_key(view.title, data, ""))
        return
    scalars = {k: v for k, v in data.items() if not _is_table(v)}
    if scalars:
        view.tables.append(_pairs(view.title, scalars))
    for key, value in data.items():
        if _is_table(value):
            view.tables.append(_by_key(str(key).replace("_", " ").capitalize(), value, ""))


LAYOUTS: dict[str, tuple[str, str, Callable[[dict, SectionView], None]]] = {
    "counts": ("Counts", "Released items per task and tier (a corpus: clips, and the QA items riding along).", _counts),
    "human_accuracy": (
        "Human blind accuracy",
        "How often people who answered from the video alone gave the released key; the interval is Wilson's 95% score interval.",
        _human_accuracy,
    ),
    "agreement": (
        "Agreement",
        "How far people answering the same item blind agree beyond chance: kappa and alpha near 1 agree, near 0 chance; "
        "the bracket (over all units) is a seeded percentile bootstrap 95% interval; per task, point estimates.",
        _agreement,
    ),
    "caption_reviews": ("Caption reviews", "Counted reviews of the released captions.", _caption_reviews),
    "models": (
        "Models",
        "Baseline runs over the released items. Visual gap = with frames minus blind (small: answerable without the video); "
        "temporal gap = ordered minus shuffled or reversed frames (small: order is not tested).",
        _models,
    ),
    "flags": (
        "Flags",
        "Every quality flag of the benchmark at the cut: fixed, waived with a reason, or still open.",
        _flags,
    ),
    "excluded": ("Excluded", "What the cut left out, with who excluded each and why.", _excluded),
    "disjointness": (
        "Participant disjointness",
        "A training corpus shares no participant with the evaluation benchmarks it was checked against.",
        _disjointness,
    ),
    DIGESTS: ("Digests", "The sha256 of every export format.", _digests),
}


def datasheet_views(datasheet: dict) -> list[SectionView]:
    views = []
    for name in datasheet.get("sections", []):
        title, reads, layout = LAYOUTS.get(name, (name.replace("_", " ").capitalize(), "", _shaped))
        view = SectionView(name=name, title=title, reads=reads)
        layout(datasheet[name], view)
        views.append(view)
    return views
