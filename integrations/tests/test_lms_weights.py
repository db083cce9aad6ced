"""The weight rule of LMS imports, on plain data."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.lms.snapshot import LmsAssignment, LmsCourse, assessment_weights


def course(**kwargs) -> LmsCourse:
    return LmsCourse(
        external_id="1", code="C", name="C", term="", start_date=None, end_date=None, **kwargs
    )


def item(external_id, points, group="g", weight_fraction=None) -> LmsAssignment:
    return LmsAssignment(
        external_id=external_id,
        name=external_id,
        type="assignment",
        due_at=None,
        points_possible=points,
        group_id=group,
        weight_fraction=weight_fraction,
    )


def test_group_weights_are_split_by_points():
    lms = course(apply_group_weights=True, group_weights={"hw": 40.0, "exam": 60.0})
    items = [item("a", 10, "hw"), item("b", 30, "hw"), item("c", 100, "exam")]
    assert assessment_weights(lms, items) == {"a": 10.0, "b": 30.0, "c": 60.0}


def test_groups_with_nothing_imported_drop_out_and_the_rest_scales_to_100():
    lms = course(apply_group_weights=True, group_weights={"hw": 20.0, "exam": 30.0, "final": 50.0})
    items = [item("a", 5, "hw"), item("b", 100, "exam")]
    assert assessment_weights(lms, items) == {"a": 40.0, "b": 60.0}


def test_a_group_of_zero_point_items_splits_evenly():
    lms = course(apply_group_weights=True, group_weights={"hw": 50.0, "exam": 50.0})
    items = [item("a", 0, "hw"), item("b", 0, "hw"), item("c", 10, "exam")]
    assert assessment_weights(lms, items) == {"a": 25.0, "b": 25.0, "c": 50.0}


def test_without_group_weights_points_decide():
    lms = course(apply_group_weights=False, group_weights={"hw": 90.0, "exam": 10.0})
    items = [item("a", 25, "hw"), item("b", 75, "exam")]
    assert assessment_weights(lms, items) == {"a": 25.0, "b": 75.0}


def test_the_lms_own_weights_win_when_given():
    items = [item("a", 100, weight_fraction=0.3), item("b", 10, weight_fraction=0.1)]
    assert assessment_weights(course(), items) == {"a": 75.0, "b": 25.0}


def test_nothing_with_points_gives_zero_weights():
    assert assessment_weights(course(), [item("a", 0)]) == {"a": 0.0}
    assert assessment_weights(course(), []) == {}


@given(
    st.lists(
        st.tuples(st.floats(0, 500), st.sampled_from(["x", "y", "z"])), min_size=1, max_size=30
    ),
    st.booleans(),
    st.dictionaries(st.sampled_from(["x", "y", "z"]), st.floats(0, 100)),
)
def test_weights_sum_to_100_or_to_nothing(rows, grouped, group_weights):
    lms = course(apply_group_weights=grouped, group_weights=group_weights)
    items = [item(str(index), points, group) for index, (points, group) in enumerate(rows)]
    weights = assessment_weights(lms, items)
    assert set(weights) == {str(index) for index in range(len(rows))}
    assert all(weight >= 0 for weight in weights.values())
    assert sum(weights.values()) == pytest.approx(100.0, abs=1e-3) or sum(weights.values()) == 0
