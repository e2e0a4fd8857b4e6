"""Development-only demo data: rendered stick-figure clips, machine-style captions and questions
(with a few planted faults), the demo logins and queue, and ``seed_demo`` that writes them.

It depends on ``annotation`` and ``review`` and nothing depends on it; it is in INSTALLED_APPS so
``make demo`` and the tests can run ``seed_demo``, but no page, API or worker uses it.
"""
