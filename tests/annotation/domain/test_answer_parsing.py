import pytest

from annotation.domain.answer_parsing import parse_answer, strip_think

FINE = ["Nodding", "Shaking head", "Scratching or touching face", "Touching nose", "Tiptoe"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("B", "B"),
        ("B.", "B"),
        ("(C)", "C"),
        ("**D**", "D"),
        ("E. Tiptoe", "E"),
        ("  a", None),
        ("The answer is C.", "C"),
        ("Answer: B", "B"),
        ("I choose option D because the hand rises.", "D"),
        ("Shaking head", "B"),
        ("It is scratching or touching face.", "C"),
        ("The person is touching nose", "D"),
        ("F", None),
        ("I cannot tell from these frames.", None),
        ("", None),
        ("<think>The hand goes to the face... maybe A?</think>\nC", "C"),
    ],
)
def test_choice_replies(reply, expected):
    assert parse_answer(reply, task="FMAR", options=FINE) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Yes", "Yes"),
        ("yes.", "Yes"),
        ("NO", "No"),
        ("No, the hand stays still.", "No"),
        ("Yes, it does move upward.", "Yes"),
        ("The answer is no.", "No"),
        ("Maybe", None),
        ("nothing", None),
        ("<think>yes or no? no</think> Yes", "Yes"),
    ],
)
def test_yes_no_replies(reply, expected):
    assert parse_answer(reply, task="SAD", options=[]) == expected


def test_open_replies_are_the_text_without_the_think_block():
    assert parse_answer("<think>hm</think>\n The head nods.", task="MADU", options=[]) == "The head nods."
    assert parse_answer("<think>only thinking</think>", task="MARE", options=[]) is None


def test_only_a_leading_think_block_is_stripped():
    assert strip_think("Answer <think>x</think> B") == "Answer <think>x</think> B"
