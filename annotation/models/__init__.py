from .audit import AuditEvent
from .content import AuditedModel, Benchmark, Caption, QAItem, QAItemQuerySet, Video, json_normalized
from .flags import QualityFlag
from .releases import Release, ReleaseItem

__all__ = [
    "AuditEvent", "AuditedModel", "Benchmark", "Caption", "QAItem", "QAItemQuerySet", "QualityFlag", "Release",
    "ReleaseItem", "Video",
    "json_normalized",
]  # fmt: skip
