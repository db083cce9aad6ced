"""The per-kind builders: pure functions of their read models."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from journey.notifications import builders

CHI = ZoneInfo("America/Chicago")


def line(start, minutes=50, title="Limits", code="MATH 2413"):
    return builders.BlockLine(
        title=title, course_code=code, start=start, end=start + timedelta(minutes=minutes)
    )


def test_daily_plan_lists_blocks_reviews_and_the_next_deadline_in_local_time():
    start = datetime(2027, 3, 15, 23, 0, tzinfo=UTC)  # 18:00 CDT
    model = builders.DailyPlanModel(
        first_name="Ada",
        zone=CHI,
        local_date=date(2027, 3, 15),
        blocks=[line(start), line(start + timedelta(hours=1), 25, "Derivatives")],
        reviews_due=4,
        review_topics=["Limits", "Series", "Sets"],
        next_deadline=builders.DeadlineLine(
            title="Midterm",
            course_code="MATH 2413",
            due=datetime(2027, 3, 18, 14, 0, tzinfo=UTC),
            readiness_percent=54,
            is_at_risk=True,
        ),
        link="/",
    )
    message = builders.daily_plan(model)
    assert message.subject == "Your plan for Mon 15 Mar: 2 blocks"
    assert "- 18:00-18:50 MATH 2413: Limits" in message.body
    assert "- 19:00-19:25 MATH 2413: Derivatives" in message.body
    assert "(1 h 15 min)" in message.body
    assert "Reviews due: 4 (Limits, Series, Sets)." in message.body
    assert "Midterm, due Thu 18 Mar 09:00: predicted readiness 54% - at risk" in message.body


def test_daily_plan_without_evidence_says_so_instead_of_a_number():
    model = builders.DailyPlanModel(
        first_name="Ada",
        zone=CHI,
        local_date=date(2027, 3, 15),
        blocks=[],
        reviews_due=0,
        review_topics=[],
        next_deadline=builders.DeadlineLine(
            title="Quiz",
            course_code="BIO 1",
            due=datetime(2027, 3, 18, 14, tzinfo=UTC),
            readiness_percent=None,
            is_at_risk=False,
        ),
        link="/",
    )
    body = builders.daily_plan(model).body
    assert "No study blocks are planned today." in body and "No reviews are due." in body
    assert "no readiness prediction yet (no evidence)" in body and "%" not in body


def test_weekly_summary_hours_mastery_and_streak():
    model = builders.WeeklyModel(
        first_name="Ada",
        week_start=date(2027, 3, 8),
        planned_min=600,
        done_min=450,
        mastery_changes={"Limits": 12.4, "Series": -3.0},
        streak_days=1,
        link="/stats/",
    )
    message = builders.weekly_summary(model)
    assert message.subject == "Your week: 7 h 30 min of 10 h studied"
    assert "- Limits: +12 points" in message.body and "- Series: -3 points" in message.body
    assert "Current streak: 1 day." in message.body


def test_plan_change_and_reminder():
    first = datetime(2027, 3, 15, 23, 0, tzinfo=UTC)
    change = builders.plan_change(
        builders.PlanChangeModel(
            zone=CHI,
            added=0,
            moved=2,
            removed=1,
            first_change_at=first,
            reason="calendar_change",
            link="/",
        )
    )
    assert (
        change.subject
        == "Your plan for the next 24 hours changed (2 blocks moved, 1 block dropped)"
    )
    assert "Mon 15 Mar 18:00" in change.body
    reminder = builders.block_reminder(
        builders.ReminderModel(zone=CHI, block=line(first), link="/")
    )
    assert reminder.subject == "At 18:00: MATH 2413 Limits"


def test_a_twelve_hour_student_reads_twelve_hour_times():
    start = datetime(2027, 3, 15, 17, 5, tzinfo=UTC)  # 12:05 CDT: noon is 12 PM, not 0 PM
    model = builders.DailyPlanModel(
        first_name="Ada",
        zone=CHI,
        local_date=date(2027, 3, 15),
        blocks=[line(start), line(start + timedelta(hours=12), 25, "Derivatives")],
        reviews_due=0,
        review_topics=[],
        next_deadline=builders.DeadlineLine(
            title="Midterm",
            course_code="MATH 2413",
            due=datetime(2027, 3, 18, 5, 30, tzinfo=UTC),  # 00:30 CDT
            readiness_percent=70,
            is_at_risk=False,
        ),
        link="/",
        hour12=True,
    )
    body = builders.daily_plan(model).body
    assert "- 12:05 PM-12:55 PM MATH 2413: Limits" in body
    assert "- 12:05 AM-12:30 AM MATH 2413: Derivatives" in body
    assert "due Thu 18 Mar 12:30 AM" in body
    reminder = builders.block_reminder(
        builders.ReminderModel(zone=CHI, block=line(start), link="/", hour12=True)
    )
    assert reminder.subject.startswith("At 12:05 PM:")
