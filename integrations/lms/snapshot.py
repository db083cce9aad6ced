"""What an LMS client reads, as plain data, and how assessment weights follow from it.

The clients (Canvas, Moodle) fill these from their APIs; the import service writes them. The
weight rule is pure, so it is tested without any server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class LmsGrade:
    score: float
    max_score: float
    graded_at: datetime | None


@dataclass(frozen=True)
class LmsAssignment:
    external_id: str
    name: str
    type: str
    due_at: datetime | None
    points_possible: float
    group_id: str = ""
    # The LMS's own share of the course grade (Moodle's weightraw, 0..1), when it gives one.
    weight_fraction: float | None = None
    grade: LmsGrade | None = None


@dataclass
class LmsCourse:
    external_id: str
    code: str
    name: str
    term: str
    start_date: date | None
    end_date: date | None
    apply_group_weights: bool = False
    group_weights: dict[str, float] = field(default_factory=dict)
    assignments: list[LmsAssignment] = field(default_factory=list)


@dataclass(frozen=True)
class OAuthTokens:
    """What an LMS's OAuth2 token endpoint gave: the refresh token may be empty on a refresh
    (Canvas keeps the one it gave first)."""

    access_token: str
    refresh_token: str
    expires_at: datetime | None


@dataclass
class LmsSnapshot:
    remote_user_id: str
    courses: list[LmsCourse]


def _scaled_to_100(raw: dict[str, float]) -> dict[str, float]:
    total = sum(raw.values())
    if total <= 0:
        return dict.fromkeys(raw, 0.0)
    return {key: round(value * 100.0 / total, 6) for key, value in raw.items()}


def assessment_weights(course: LmsCourse, assignments: list[LmsAssignment]) -> dict[str, float]:
    """Weight in percent of each assignment; they sum to 100 unless nothing carries points.

    - The LMS's own share of the grade (Moodle) wins when it gives one for any item.
    - With group weights applied (Canvas `apply_assignment_group_weights`), a group's weight
      is split among its assignments by points; groups with nothing imported drop out, so the
      rest is scaled back to 100% (Canvas does the same for a student's current grade).
    - Otherwise the weight is in proportion to points, as Canvas's unweighted total is."""
    if not assignments:
        return {}
    if any(a.weight_fraction is not None for a in assignments):
        return _scaled_to_100(
            {a.external_id: max(a.weight_fraction or 0.0, 0.0) for a in assignments}
        )
    if course.apply_group_weights:
        points_by_group: dict[str, float] = {}
        count_by_group: dict[str, int] = {}
        for a in assignments:
            points_by_group[a.group_id] = points_by_group.get(a.group_id, 0.0) + a.points_possible
            count_by_group[a.group_id] = count_by_group.get(a.group_id, 0) + 1
        raw: dict[str, float] = {}
        for a in assignments:
            group_weight = max(course.group_weights.get(a.group_id, 0.0), 0.0)
            group_points = points_by_group[a.group_id]
            share = (
                a.points_possible / group_points
                if group_points > 0
                else 1.0 / count_by_group[a.group_id]
            )
            raw[a.external_id] = group_weight * share
        return _scaled_to_100(raw)
    return _scaled_to_100({a.external_id: max(a.points_possible, 0.0) for a in assignments})
