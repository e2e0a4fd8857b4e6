"""What leaves the tool, as formats: release exports (MAC, questions-only, JSONL, JSON) and the fine-tuning
export of a training corpus. Whether a release still gives what was cut is a service (services/release_integrity.py)."""
