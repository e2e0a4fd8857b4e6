from .audit import AuditEvent
from .content import AuditedModel, Benchmark, Caption, QAItem, QAItemQuerySet, Video, json_normalized
from .flags import QualityFlag

__all__ = [
    "AuditEvent", "AuditedModel", "Benchmark", "Caption", "QAItem", "QAItemQuerySet", "QualityFlag", "Video",
    "json_normalized",
]  # fmt: skip
