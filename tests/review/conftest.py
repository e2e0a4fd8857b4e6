import pytest
from django.urls import reverse

from review.models import QueueSlot
from review.services.queues import queue_create


@pytest.fixture
def claimed_clip(client, processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    """An annotator's client holding the claim on a processed clip with a caption and two questions."""
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("MADU_0001", task="MADU", answer="The head moves down then up.", question="Describe the head movement.")
    queue = queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    client.force_login(annotator)
    client.post(reverse("queue-start", args=[queue.pk]))
    return client, QueueSlot.objects.get(queue=queue, claimed_by=annotator)
