"""Figures measured in a process of its own, so its peak memory is its work's and not the parent's."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM): ru_maxrss would carry the parent's peak across fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figures_of_own_process(script: str, *args: str) -> dict:
    """Run ``script`` with ``args`` in a new Python and read the JSON object on its last line of output."""
    run = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, check=True)
    return json.loads(run.stdout.splitlines()[-1])
