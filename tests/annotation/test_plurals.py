from annotation.domain.plurals import counted, for_count


def test_counts_take_the_plural_except_one():
    assert [counted(n, "clip") for n in (0, 1, 2)] == ["0 clips", "1 clip", "2 clips"]
    assert counted(3, "model run") == "3 model runs" and counted(1, "model run") == "1 model run"
    assert counted(2, "child", "children") == "2 children"


def test_a_verb_agrees_with_its_count():
    assert [f"{counted(n, 'release')} {for_count(n, 'does', 'do')} not match" for n in (1, 2)] == [
        "1 release does not match",
        "2 releases do not match",
    ]
