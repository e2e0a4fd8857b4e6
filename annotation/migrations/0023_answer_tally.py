"""The answer tally of the benchmark-wide checks, the triggers that keep it, the tally of the items
already there, and the index that finds a task's answer-length outliers."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from annotation.answer_tally_triggers import BACKFILL, create_statements, drop_statements


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in create_statements(vendor):
        schema_editor.execute(statement, params=None)
    schema_editor.execute(BACKFILL[vendor], params=None)


def drop_triggers(apps, schema_editor):
    for statement in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('annotation', '0022_job_dispatch_state'),
    ]

    operations = [
        migrations.CreateModel(
            name='AnswerTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('task', models.CharField(max_length=8)),
                ('answer_key', models.CharField(blank=True, max_length=3)),
                ('answer_length', models.PositiveIntegerField()),
                ('items', models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='BenchmarkTaskCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('task', models.CharField(max_length=8)),
                ('length_median', models.FloatField(null=True)),
                ('length_spread', models.FloatField(null=True)),
            ],
        ),
        migrations.AddIndex(
            model_name='qaitem',
            index=models.Index(models.F('benchmark'), models.F('task'), django.db.models.functions.text.Length('answer'), name='qaitem_answer_length_idx'),
        ),
        migrations.AddField(
            model_name='answertally',
            name='benchmark',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotation.benchmark'),
        ),
        migrations.AddField(
            model_name='benchmarktaskcheck',
            name='benchmark',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='annotation.benchmark'),
        ),
        migrations.AddIndex(
            model_name='answertally',
            index=models.Index(fields=['benchmark', 'task'], name='annotation__benchma_fd5a33_idx'),
        ),
        migrations.AddConstraint(
            model_name='benchmarktaskcheck',
            constraint=models.UniqueConstraint(fields=('benchmark', 'task'), name='benchmarktaskcheck_one_per_task'),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
