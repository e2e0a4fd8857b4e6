"""The one write path for audited content.

Every create, edit and status change of a benchmark, video, caption or QA item
goes through these functions. Each takes a row lock, applies the change and
appends an ``AuditEvent`` in the same transaction. Locking policy (written out, with
every lock of the project, in ``docs/locking.md``): one row at a time, locked with
``select_for_update(no_key=True)`` (FOR NO KEY UPDATE: rows referencing it can still be
inserted; on SQLite the IMMEDIATE transaction mode serialises writers instead); a
service that needs several rows locks them in the order video -> caption -> QA item,
ascending primary key.

Actions on things other than content (queues, claims, flags, roles, releases) are
recorded in the same row shape with ``record_action``. A refused attempt is recorded
by ``records_refusals``: the outermost decorated service writes the refusal's event
after its own transaction rolled back, so the refusal survives the rollback.
"""

from __future__ import annotations

import enum
import functools
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.db import connection, models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from annotation.domain.plurals import for_count
from annotation.errors import Refused
from annotation.models import AuditedModel, AuditEvent, json_normalized
from annotation.plain_sql import Statement

from .bulk_insert import insert_many, insert_rows

M = TypeVar("M", bound=AuditedModel)
P = ParamSpec("P")
R = TypeVar("R")
Event = AuditEvent.EventType


@dataclass(frozen=True)
class Actor:
    """Who made a change: a person, or the machine source that generated content."""

    user: Any = None
    source: str = ""

    def __post_init__(self) -> None:
        if (self.user is None) == (not self.source):
            raise ValueError("an actor is either a user or a machine source, not both or neither")

    @classmethod
    def person(cls, user: Any) -> Actor:
        return cls(user=user)

    @classmethod
    def machine(cls, source: str) -> Actor:
        return cls(source=source)

    def event_fields(self) -> dict[str, Any]:
        return {"actor_user": self.user, "actor_source": self.source}


class EditConflict(Refused):
    """An edit based on a version that is no longer current (older or, forged, newer)."""

    def __init__(self, *, target: str, seen_version: int, current_version: int, current_values: dict[str, Any]):
        self.target, self.seen_version, self.current_version = target, seen_version, current_version
        self.current_values = current_values
        super().__init__(
            f"{target} was changed meanwhile: your edit was made on version {seen_version}, "
            f"it is now at version {current_version}. Your attempt is kept in the audit trail; "
            "reload to see the current version and apply your change again."
        )


def _event(*, obj: AuditedModel, actor: Actor, event_type: str, before, after, reason: str, version) -> AuditEvent:
    return AuditEvent(
        **actor.event_fields(),
        event_type=event_type,
        target_kind=obj.audit_kind,
        target_id=obj.pk,
        target_version=version,
        before=before,
        after=after,
        reason=reason,
    )


def record_action(
    *,
    actor: Actor,
    event_type: str,
    target_kind: str,
    target_id: int,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    version: int | None = None,
) -> AuditEvent:
    """The one event of an action on something that is not audited content (a queue, a claim, a flag,
    a role, a release ...), written in the caller's transaction so it stands or falls with the change."""
    return AuditEvent.objects.create(
        **actor.event_fields(),
        event_type=event_type,
        target_kind=target_kind,
        target_id=target_id,
        target_version=version,
        before=json_normalized(before),
        after=json_normalized(after),
        reason=reason,
    )


_refusal_depth = threading.local()


def records_refusals(service: Callable[P, R]) -> Callable[P, R]:
    """Wrap a public service that may refuse: when a ``Refused`` error with an attempt leaves the outermost
    wrapped service, its event is written there, after the service's own transaction has rolled back.

    Put it outside ``transaction.atomic``; callers must not wrap the call in a transaction of their own
    that they then roll back (views and tasks call services directly)."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = getattr(_refusal_depth, "value", 0)
        _refusal_depth.value = depth + 1
        try:
            return service(*args, **kwargs)
        except Refused as error:
            if depth == 0:
                refusal_record(error)
            raise
        finally:
            _refusal_depth.value = depth

    return wrapper


def refusal_record(error: Refused) -> None:
    """Write the event of a refused attempt, once (whoever catches the error next writes nothing), in the
    current transaction: ``records_refusals`` after the service's transaction rolled back, or a bulk service
    that goes on with the next item after one was refused."""
    if error.attempt is not None:
        AuditEvent.objects.create(**error.attempt)
        error.attempt = None


def _validate(obj: AuditedModel, *, with_relations: bool, only: list[str] | None = None) -> None:
    if with_relations:
        # Field checks (and their uniqueness and foreign-key queries) only for the
        # fields that changed; the model's cross-field clean() always runs.
        skipped = (
            None
            if only is None
            else [f.name for f in obj._meta.concrete_fields if f.name not in only and f.attname not in only]
        )
        obj.full_clean(exclude=skipped)
        return
    # Bulk creation: the caller passes related objects, so skip the per-row
    # foreign-key and uniqueness queries; the database constraints still hold.
    relation_names = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    obj.clean_fields(exclude=relation_names)
    obj.clean()


def create_audited(*, model: type[M], actor: Actor, values: Mapping[str, Any], reason: str = "") -> M:
    with transaction.atomic():
        obj = model(**values)
        _validate(obj, with_relations=True)
        obj.save(force_insert=True)
        _event(
            obj=obj,
            actor=actor,
            event_type=Event.CREATED,
            before=None,
            after=obj.audit_snapshot(),
            reason=reason,
            version=obj.version,
        ).save()
    return obj


def create_audited_many(
    *, model: type[M], actor: Actor, rows: Iterable[Mapping[str, Any]], reason: str = ""
) -> list[M]:
    """Create many rows and their events in two bulk inserts, all or nothing."""
    objs = [model(**values) for values in rows]
    relation_names = [f.name for f in model._meta.concrete_fields if f.is_relation]
    for obj in objs:
        obj.clean_fields(exclude=relation_names)  # as _validate(obj, with_relations=False)
        obj.clean()
    with transaction.atomic():
        insert_many(model, objs)
        _created_events_insert(
            actor, model.audit_kind, ((obj.pk, obj.version, obj.audit_snapshot()) for obj in objs), reason
        )
    return objs


def _created_events_insert(
    actor: Actor, kind: str, created: Iterable[tuple[int, int, dict[str, Any]]], reason: str
) -> None:
    """The ``created`` event of each (pk, version, snapshot): the rows ``_event()`` would build, COPYed
    without a model each."""
    same = {
        "actor_user_id": actor.user.pk if actor.user is not None else None,
        "actor_source": actor.source,
        "event_type": Event.CREATED.value,
        "target_kind": kind,
        "before": None,
        "reason": reason,
    }
    rows = [{"target_id": pk, "target_version": version, "after": after} for pk, version, after in created]
    insert_rows(AuditEvent, rows, same=same)


def create_audited_checked(
    *, model: type[M], actor: Actor, rows: Sequence[Mapping[str, Any]], reason: str = ""
) -> list[int]:
    """``create_audited_many`` for rows the caller has checked already as the model's ``clean_fields`` and
    ``clean`` would (the import's row checks): values by attribute name (``benchmark_id``, not ``benchmark``),
    COPYed without building a model each; returns their primary keys. A field left out takes its default
    (``auto_now`` ones the time of the call); each event's ``after`` is the ``audit_snapshot`` the model
    would give."""
    if not rows:
        return []
    meta = model._meta
    now = timezone.now()
    filled = {
        f.attname: now
        for f in meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    snapshot_fields = [f for f in meta.concrete_fields if f.attname in (*model.audited_fields, "version")]
    # A constant default once, as the plain value (a choice's member is stored and snapshotted as its value).
    fresh = [f for f in snapshot_fields if f.has_default() and callable(f.default)]  # a new list each, say
    constant = {f.attname: _plain(f.get_default()) for f in snapshot_fields if f not in fresh}
    made = [(f.attname, f.get_default) for f in fresh]
    keys = rows[0].keys()
    # Rows that give the same fields (an import's): what they leave out is the same for all, given once.
    uniform = all(row.keys() == keys for row in rows)
    same = {name: value for name, value in {**constant, **filled}.items() if name not in keys} if uniform else {}
    complete = []
    for row in rows:
        values = {**row} if uniform else {**constant, **filled, **row}
        for name, default in made:
            if name not in row:
                values[name] = default()
        complete.append(values)
    with transaction.atomic():
        pks = insert_rows(model, complete, same=same)
        audited = model.audited_fields
        same_snapshot = {name: _snapshot_value(same[name]) for name in audited if name in same}
        version = same.get("version")
        _created_events_insert(
            actor,
            model.audit_kind,
            (
                (
                    pk,
                    version if version is not None else values["version"],
                    {
                        name: same_snapshot[name] if name in same_snapshot else _snapshot_value(values[name])
                        for name in audited
                    },
                )
                for pk, values in zip(pks, complete, strict=True)
            ),
            reason,
        )
    return pks


def _snapshot_value(value: Any) -> Any:
    """A value as ``audit_snapshot`` stores it."""
    return value if type(value) in _JSON_PLAIN_TYPES else json_normalized(value)


_JSON_PLAIN_TYPES = frozenset((str, int, bool, type(None)))  # json_normalized gives these back as they are


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


@records_refusals
def change_audited(
    *,
    model: type[M],
    pk: int,
    actor: Actor,
    changes: Mapping[str, Any],
    expected_version: int | None,
    reason: str = "",
) -> M:
    """Apply ``changes`` to one row if ``expected_version`` is still current.

    ``expected_version`` is the version the editor saw; ``None`` is for machine
    writers (workers) that apply a change to whatever is current. Any other
    version than the current one, older or newer, raises ``EditConflict`` and
    the refused attempt is recorded, so the version that won and the one that
    lost both stay in the trail.
    """
    with transaction.atomic():
        return change_in_transaction(
            model=model, pk=pk, actor=actor, changes=changes, expected_version=expected_version, reason=reason
        )


def change_in_transaction(
    *,
    model: type[M],
    pk: int,
    actor: Actor,
    changes: Mapping[str, Any],
    expected_version: int | None,
    reason: str = "",
    with_related: tuple[str, ...] = (),
    writes: list[Statement] | None = None,
) -> M:
    """``change_audited`` in the caller's transaction, for a service that writes more in the same one (an edit
    and the lint of its clip): the caller wraps itself in ``records_refusals`` outside its ``atomic``.
    ``with_related`` are foreign keys read with the locked row (joined, not locked: ``of=("self",)``), for the
    validation and the caller, instead of one query each. ``writes``: where given, the row's UPDATE and the
    event's INSERT are appended there as statements for the caller to send (with its next reads, in one
    round trip) instead of being run here."""
    unknown = set(changes) - set(model.audited_fields)
    if unknown:
        raise ValueError(
            f"{model.__name__} has no audited {for_count(len(unknown), 'field', 'fields')} {', '.join(sorted(unknown))}"
        )
    rows = model._default_manager.all()
    if with_related and connection.vendor == "postgresql":
        obj = locked_with_related(model, pk, with_related)
    elif with_related:  # SQLite: its column values need the ORM's converters (dates arrive as text)
        obj = rows.select_related(*with_related).select_for_update(no_key=True, of=("self",)).get(pk=pk)
    else:
        obj = rows.select_for_update(no_key=True).get(pk=pk)
    if expected_version is not None and obj.version != expected_version:
        raise stale_edit(obj, actor=actor, changes=changes, seen_version=expected_version, reason=reason)
    _apply(obj, actor=actor, changes=changes, reason=reason, writes=writes)
    return obj


def locked_with_related(model: type[M], pk: int, related: tuple[str, ...]) -> M:
    """``select_related(*related).select_for_update(no_key=True, of=("self",)).get(pk=pk)`` on PostgreSQL as one
    plain statement, built once per model and relations: on an edit the queryset's building cost more client
    CPU than the rest of the lock. The related rows are joined, not locked."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    plan = _lock_plan(model, related)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql + (" FOR NO KEY UPDATE OF t0" if connection.vendor == "postgresql" else ""), [pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
    objs: list[Any] = []
    for n, (part_model, columns, start) in enumerate(plan.parts):
        values = list(row[start : start + len(columns)])
        for at, name in enumerate(columns):
            if isinstance(values[at], str) and isinstance(part_model._meta.get_field(name), models.JSONField):
                values[at] = json.loads(values[at])
        present = values[columns.index(part_model._meta.pk.attname)] is not None  # a LEFT JOIN that found no row
        obj = part_model.from_db(connection.alias, columns, values) if present else None
        if n:
            parent, field = plan.links[n - 1]
            field.set_cached_value(objs[parent], obj)
        objs.append(obj)
    return objs[0]


@dataclass(frozen=True)
class _LockPlan:
    sql: str
    parts: list[tuple[type[models.Model], tuple[str, ...], int]]  # model, its columns, where they start in the row
    links: list[tuple[int, Any]]  # for each part but the first: the part it hangs from, and the foreign key


@functools.cache
def _lock_plan(model: type[models.Model], related: tuple[str, ...]) -> _LockPlan:
    def columns_of(part: type[models.Model]) -> tuple[str, ...]:
        return tuple(f.attname for f in part._meta.concrete_fields)

    parts = [(model, columns_of(model), 0)]
    links: list[tuple[int, Any]] = []
    joins: list[str] = []
    reached: dict[str, int] = {}
    for path in related:
        parent, prefix = 0, ""
        for name in path.split("__"):
            prefix = f"{prefix}__{name}" if prefix else name
            if prefix in reached:
                parent = reached[prefix]
                continue
            field = parts[parent][0]._meta.get_field(name)
            target = field.related_model
            assert isinstance(field, models.ForeignKey) and isinstance(target, type)  # forward foreign keys only
            alias, start = f"t{len(parts)}", parts[-1][2] + len(parts[-1][1])
            joins.append(
                f"LEFT JOIN {target._meta.db_table} {alias} ON {alias}.{target._meta.pk.column} = t{parent}.{field.column}"
            )
            parts.append((target, columns_of(target), start))
            links.append((parent, field))
            reached[prefix] = parent = len(parts) - 1
    select = ", ".join(f"t{n}.{f.column}" for n, (part, _, _) in enumerate(parts) for f in part._meta.concrete_fields)
    sql = f"SELECT {select} FROM {model._meta.db_table} t0 {' '.join(joins)} WHERE t0.{model._meta.pk.column} = %s"
    return _LockPlan(sql, parts, links)


def stale_edit(
    obj: AuditedModel, *, actor: Actor, changes: Mapping[str, Any], seen_version: int, reason: str = ""
) -> EditConflict:
    """The conflict to raise for an edit or decision made on ``seen_version`` of ``obj``, with its
    ``edit_refused`` event (before: the current values; after: what was attempted)."""
    current = obj.audit_snapshot(tuple(changes))
    attempted = {name: json_normalized(value) for name, value in changes.items()}
    conflict = EditConflict(
        target=obj.audit_label(), seen_version=seen_version, current_version=obj.version, current_values=current
    )
    conflict.recording(
        actor=actor,
        target_kind=obj.audit_kind,
        target_id=obj.pk,
        before=current,
        after=attempted,
        version=seen_version,
        event_type=Event.EDIT_REFUSED,
    )
    if reason:
        assert conflict.attempt is not None  # set by recording() above
        conflict.attempt["reason"] = reason
    return conflict


def _apply(
    obj: AuditedModel, *, actor: Actor, changes: Mapping[str, Any], reason: str, writes: list[Statement] | None = None
) -> None:
    before = obj.audit_snapshot(tuple(changes))
    for name, value in changes.items():
        setattr(obj, name, value)
    after = obj.audit_snapshot(tuple(changes))
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return
    status = obj.status_field
    if status in changed:
        assert obj.transitions is not None  # a model with a status field has its transition map
        obj.transitions.check(target=obj.audit_label(), current=before[status], requested=after[status])
    if changed != [status]:  # a status move alone is checked by the transition map; the content did not change
        _validate(obj, with_relations=True, only=changed)
    obj.version += 1
    event = _event(
        obj=obj,
        actor=actor,
        event_type=Event.STATUS_CHANGED if changed == [status] else Event.EDITED,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        reason=reason,
        version=obj.version,
    )
    if writes is None:
        obj.save()
        event.save()
        return
    writes += [_update_statement(obj), _insert_statement(event)]


def _update_statement(obj: models.Model) -> Statement:
    """What ``obj.save()`` runs for a row that exists (every column; ``auto_now`` set), as a statement."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    sql = f"UPDATE {meta.db_table} SET {', '.join(f'{f.column} = %s' for f in fields)} WHERE {meta.pk.column} = %s"
    return sql, [*values, obj.pk]


def _insert_statement(obj: models.Model) -> Statement:
    """What ``obj.save()`` runs for a new row with an automatic primary key, as a statement."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    columns = ", ".join(str(f.column) for f in fields)
    return f"INSERT INTO {meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values


def record_import(*, benchmark: AuditedModel, actor: Actor, summary: Mapping[str, Any], reason: str = "") -> AuditEvent:
    """The event that says an import happened, with its summary."""
    return AuditEvent.objects.create(
        **actor.event_fields(),
        event_type=Event.IMPORTED,
        target_kind=benchmark.audit_kind,
        target_id=benchmark.pk,
        target_version=benchmark.version,
        after=dict(summary),
        reason=reason,
    )
