from .audit import AuditEvent
from .baselines import BaselineRun, JudgeScore, Prediction, RunChunk
from .content import AuditedModel, Benchmark, Caption, QAItem, QAItemQuerySet, Video, json_normalized
from .flags import QualityFlag
from .generation import GeneratedClip, GenerationRun
from .imports import ImportJob
from .releases import Release, ReleaseClip, ReleaseItem

__all__ = [
    "AuditEvent",
    "AuditedModel",
    "BaselineRun",
    "JudgeScore",
    "Prediction",
    "RunChunk",
    "Benchmark",
    "Caption",
    "GeneratedClip",
    "GenerationRun",
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
