"""A blocker group says what clears it; for a flag that cannot be waived, never "waive"."""

from annotation.domain.release_blockers import Blocker, BlockerKind, blocker_groups
from annotation.models import QualityFlag


def test_an_unwaivable_flag_kind_is_cleared_by_a_fix_or_an_exclusion_only():
    for kind in QualityFlag.NOT_WAIVABLE:
        [group] = blocker_groups([Blocker(kind=BlockerKind.ITEM_FLAG, message="m", detail=kind, subject="FMAR_0001")])
        assert "waive" not in group.clears.replace("cannot be waived", "") and "exclude" in group.clears
    [waivable] = blocker_groups(
        [Blocker(kind=BlockerKind.ITEM_FLAG, message="m", detail="label_leak", subject="SAD_0001")]
    )
    assert "waive the flag" in waivable.clears
