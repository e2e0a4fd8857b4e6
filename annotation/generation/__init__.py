"""Question generators: from a clip's structured caption to QA items.

``template`` writes the perception tier (CMAR, FMAR) without a model; ``model``
writes the comprehension and reasoning tiers through an OpenAI-compatible
endpoint, prompted with the caption only. Both are pure (no database): the
service ``annotation.services.generation`` feeds them captions and writes what
they return through the audited write path, as the generator's machine source.
"""
