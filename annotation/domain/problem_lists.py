def indented_list(lines: list, *, limit: int) -> str:
    """``lines`` one per indented line, the first ``limit`` of them, and how many more."""
    shown = "\n".join(f"  {line}" for line in lines[:limit])
    return shown + (f"\n  ... and {len(lines) - limit} more" if len(lines) > limit else "")
