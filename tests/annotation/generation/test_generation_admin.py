"""Admins see generation runs' progress in the Django admin and resume them from there."""

from django.urls import reverse

from annotation.models import GeneratedClip, GenerationRun
from annotation.services.generation import generation_prepare


def test_admins_resume_a_generation_run_from_the_admin(
    client, benchmark, make_captioned_clip, admin_user, tasks_in_process
):
    make_captioned_clip("take_000", "B1")
    with tasks_in_process():
        run = generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 3})
    make_captioned_clip("take_001", "C4")  # a new reviewed clip since
    client.force_login(admin_user)
    listing = client.get(reverse("admin:annotation_generationrun_changelist")).content.decode()
    assert "1 / 1" in listing and "template-generator 2.0" in listing
    with tasks_in_process():
        response = client.post(
            reverse("admin:annotation_generationrun_changelist"),
            {"action": "resume", "_selected_action": [run.pk]},
            follow=True,
        )
    assert "Resumed 1 run;" in response.content.decode()
    run = GenerationRun.objects.get(pk=run.pk)
    assert (run.done, run.total) == (2, 2) and GeneratedClip.objects.filter(run=run, status="done").count() == 2
