"""A fix of a question as posted by a form: stem, key or reference answer, and options when the form sent them."""

from annotation.models import QAItem


def posted_item_fix(post, item: QAItem) -> dict:
    fields = {"question": post.get("question", item.question).strip(), "answer": post.get("answer", item.answer).strip()}
    if item.options and "options" in post:
        fields["options"] = [line.strip() for line in post.get("options", "").splitlines() if line.strip()]
    return fields
