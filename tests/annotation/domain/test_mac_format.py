import pytest

from annotation.domain.mac_format import (
    OptionLinesError,
    clip_name_of,
    item_fields_from_row,
    join_embedded_options,
    split_embedded_options,
)


def test_options_split_off_the_stem_and_join_back_byte_for_byte():
    text = "Which coarse-grained category fits?\nSecond stem line.\nA. Head\nB. Body\nC. Upper limb"
    stem, options = split_embedded_options(text)
    assert stem == "Which coarse-grained category fits?\nSecond stem line."
    assert options == ["Head", "Body", "Upper limb"]
    assert join_embedded_options(stem, options) == text


def test_a_question_without_option_lines_is_all_stem():
    assert split_embedded_options("Does the head move?") == ("Does the head move?", [])


@pytest.mark.parametrize("lines", ["A. Head\nC. Body", "B. Head\nA. Body", "A. Head\nA. Body"])
def test_option_lines_out_of_order_are_an_error_that_names_them(lines):
    with pytest.raises(OptionLinesError, match="option lines are"):
        split_embedded_options(f"Which label?\n{lines}")


@pytest.mark.parametrize(
    ("row", "clip"), [({"video": "abc_1_2.mp4"}, "abc_1_2"), ({"video_name": "abc_1_2"}, "abc_1_2")]
)
def test_both_published_shapes_name_the_clip(row, clip):
    assert clip_name_of(row) == clip


def test_rows_without_an_answer_get_an_empty_key():
    fields = item_fields_from_row({"video_name": "c", "task": "SAD", "qid": "SAD_0001", "question": "Does it?"})
    assert fields == {"qid": "SAD_0001", "task": "SAD", "question": "Does it?", "options": [], "answer": ""}
