"""The audit trail's guarantees: replaying it rebuilds the stored state, and the append-only tables refuse change."""
