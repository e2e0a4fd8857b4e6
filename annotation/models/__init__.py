from . import array_lookup  # noqa: F401  registers the __in_array lookup
from .audit import AuditEvent
from .baselines import BaselineRun, JudgeScore, Prediction, RunChunk
from .content import AuditedModel, Benchmark, Caption, QAItem, QAItemQuerySet, Video, json_normalized
from .flags import AnswerTally, BenchmarkTaskCheck, QualityFlag
from .generation import GeneratedClip, GenerationRun
from .imports import ImportJob
from .jobs import OutboxMessage
from .releases import Release, ReleaseClip, ReleaseItem

__all__ = [
    "AnswerTally",
    "AuditEvent",
    "BenchmarkTaskCheck",
    "AuditedModel",
    "BaselineRun",
    "JudgeScore",
    "Prediction",
    "RunChunk",
    "Benchmark",
    "Caption",
    "GeneratedClip",
    "GenerationRun",
    "OutboxMessage",
    "ImportJob",
    "QAItem",
    "QAItemQuerySet",
    "QualityFlag",
    "Release",
    "ReleaseClip",
    "ReleaseItem",
    "Video",
    "json_normalized",
]
