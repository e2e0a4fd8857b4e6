"""A release's datasheet, frozen with it: one more column of the append-only release row (its triggers,
annotation 0007 and 0015, refuse UPDATE, DELETE and TRUNCATE of the whole row, this column included)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("annotation", "0023_answer_tally")]

    operations = [
        migrations.AddField(
            model_name="release",
            name="datasheet",
            field=models.JSONField(
                blank=True,
                help_text="Computed at the cut, in its transaction (annotation.services.datasheets): counts, human "
                "accuracy, agreement, model probes, flags, exclusions, disjointness, digests. Null for releases cut "
                "before datasheets, whose json export stays as it was",
                null=True,
            ),
        ),
    ]
