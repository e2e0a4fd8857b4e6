"""Pure domain rules: the MA-52 taxonomy and the 8 tasks, status transition maps, the published row format,
answer parsing, the quality checks (lint) and participant ids. No database access here."""
