import math

import pytest

from review.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement


def test_cohens_kappa_on_the_textbook_table():
    # 50 items: both Yes 20, Yes/No 5, No/Yes 10, both No 15 -> p_o 0.70, p_e 0.50, kappa 0.40
    ratings = [("Yes", "Yes")] * 20 + [("Yes", "No")] * 5 + [("No", "Yes")] * 10 + [("No", "No")] * 15
    assert cohen_kappa(ratings) == pytest.approx(0.4)
    assert percent_agreement(ratings) == pytest.approx(0.7)


def test_fleiss_kappa_on_the_textbook_example():
    # Fleiss (1971) as reproduced widely: 10 subjects, 14 raters, 5 categories -> kappa 0.210
    counts = [
        (0, 0, 0, 0, 14),
        (0, 2, 6, 4, 2),
        (0, 0, 3, 5, 6),
        (0, 3, 9, 2, 0),
        (2, 2, 8, 1, 1),
        (7, 7, 0, 0, 0),
        (3, 2, 6, 3, 0),
        (2, 5, 3, 2, 2),
        (6, 5, 2, 1, 0),
        (0, 2, 2, 3, 7),
    ]
    ratings = [[label for label, n in zip("ABCDE", row, strict=True) for _ in range(n)] for row in counts]
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)


def test_perfect_and_chance_agreement():
    assert fleiss_kappa([("A", "A", "A"), ("B", "B", "B")]) == pytest.approx(1.0)
    assert krippendorff_alpha([("A", "A"), ("B", "B"), ("A", "A")]) == pytest.approx(1.0)
    assert krippendorff_alpha([("A", "B"), ("B", "A"), ("A", "B"), ("B", "A")]) < 0


def test_krippendorff_alpha_allows_missing_ratings():
    alpha = krippendorff_alpha([("Yes", "Yes", "Yes"), ("No", "No"), ("Yes", "No", "Yes"), ("No", "No", "No")])
    assert 0 < alpha < 1


def test_fleiss_needs_equal_rater_counts_and_units_need_two_ratings():
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([("A", "A"), ("A", "A", "B")])
    assert math.isnan(percent_agreement([("A",)]))


def test_weighted_cohen_kappa_counts_each_unit_its_weight():
    from review.agreement import cohen_kappa

    units = [["A", "B"], ["A", "A"], ["B", "B"]]
    assert cohen_kappa(units, weights=[2, 1, 3]) == cohen_kappa([units[0]] * 2 + [units[1]] + [units[2]] * 3)
    assert cohen_kappa(units, weights=[0, 1, 1]) == cohen_kappa(units[1:])
