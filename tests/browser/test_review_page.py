import pytest
from playwright.sync_api import expect

from annotation.models import QAItem
from review.models import Review
from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_annotator_reviews_a_clip_from_the_keyboard(log_in, annotator, admin_user, benchmark, make_item, tmp_path):
    make_item("SAD_0001", answer="Yes", question="Does the <b>head</b> move down?")
    make_item("FMAR_0001", task="FMAR", answer="B")
    queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    page = log_in(annotator)
    page.get_by_role("button", name="Start").click()
    sad = page.locator("article", has_text="SAD_0001")
    expect(sad).to_contain_text("Does the <b>head</b> move down?")  # machine text stays text
    expect(page.locator("body")).not_to_contain_text("Key:")

    sad.press("y")  # the focused card takes the key: blind answer Yes
    expect(sad).to_contain_text("Your answer: Yes · key: Yes")
    expect(sad.get_by_role("button", name="Accept")).to_be_visible()
    sad.press("a")  # accept
    expect(sad).to_contain_text("Your decision: Accept")

    fmar = page.locator("article", has_text="FMAR_0001")
    fmar.press("c")
    expect(page.locator("article", has_text="FMAR_0001")).to_contain_text("differs")
    page.screenshot(path=tmp_path / "review.png", full_page=True)
    assert Review.objects.get(item__qid="SAD_0001").blind_answer == "Yes"
    assert QAItem.objects.get(qid="SAD_0001").review_status == "accepted"
