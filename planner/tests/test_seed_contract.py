"""The seed's API, word for word.

Every request shape of seed 000's "Data Ingestion APIs" and of Modules 2-3's contract
(docs/seed-api.md lists them) is replayed through the API, as two students, and the stored
result is checked field by field. Our own names keep working beside the seed's.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from courses.models import Assessment, AssessmentTopic, Course, Topic
from mastery.models import MasteryObservation, MasteryRecord, PerformanceRecord
from scheduling.models import TaskStatus
from scheduling.tests.factories import StudyTaskFactory

NOW = datetime(2026, 9, 7, 10, 0, tzinfo=UTC)

SEED_COURSE = {
    "name": "Calculus I",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": "2026-08-24",
    "end_date": "2026-12-11",
}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def eager_commits(django_capture_on_commit_callbacks):
    """Runs what each request queues for after its commit (the recompute, the gains)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def _course(api_client, user) -> dict:
    response = api_client.post("/api/courses", {**SEED_COURSE, "user_id": str(user.pk)}, "json")
    assert response.status_code == 201, response.json()
    return response.json()


def _topic(api_client, path_course_id, **body) -> dict:
    response = api_client.post(f"/api/courses/{path_course_id}/topics", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- seed 000: manual data entry ----------------------------------------------------------


def test_create_course_as_the_seed_writes_it(api_client, user):
    body = _course(api_client, user)
    course = Course.objects.get(pk=body["id"])
    assert (course.user, course.name, course.code, course.semester) == (
        user,
        "Calculus I",
        "MATH 2413",
        "Fall 2026",
    )
    assert (course.start_date.isoformat(), course.end_date.isoformat()) == (
        "2026-08-24",
        "2026-12-11",
    )


def test_create_topic_with_the_seeds_difficulty_and_prerequisite_ids(api_client, user):
    course = _course(api_client, user)
    limits = _topic(api_client, course["id"], name="Limits", difficulty="easy")
    body = _topic(
        api_client,
        course["id"],
        course_id=course["id"],
        name="Derivatives",
        description="Rates of change",
        difficulty="exam_level",
        prerequisite_ids=[limits["id"]],
    )
    topic = Topic.objects.get(pk=body["id"])
    assert topic.course_id == Course.objects.get(pk=course["id"]).pk
    assert topic.name == "Derivatives"
    assert topic.description == "Rates of change"
    assert topic.estimated_difficulty == "exam_level"
    assert topic.prerequisite_topic_ids == [limits["id"]]
    assert Topic.objects.get(pk=limits["id"]).estimated_difficulty == "easy"


def test_create_assessment_with_the_seeds_weight_is_a_percent(api_client, user):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    response = api_client.post(
        f"/api/courses/{course['id']}/assessments",
        {
            "course_id": course["id"],
            "name": "Midterm",
            "type": "midterm",
            "weight": 30,
            "due_date": "2026-10-15T09:00:00Z",
            "topic_ids": [topic["id"]],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get(pk=response.json()["id"])
    assert assessment.weight_percent == 30.0
    assert assessment.type == "midterm"
    assert assessment.due_date == datetime(2026, 10, 15, 9, tzinfo=UTC)
    assert list(assessment.assessment_topics.values_list("topic_id", flat=True)) == [
        Topic.objects.get(pk=topic["id"]).pk
    ]


def test_record_performance_as_the_seed_derives_the_course(api_client, user, eager_commits):
    course = _course(api_client, user)
    limits = _topic(api_client, course["id"], name="Limits")
    series = _topic(api_client, course["id"], name="Series")
    assessment = api_client.post(
        f"/api/courses/{course['id']}/assessments",
        {
            "name": "Quiz 1",
            "type": "quiz",
            "weight": 10,
            "due_date": "2026-09-01T09:00:00Z",
            "topic_ids": [limits["id"], series["id"]],
        },
        format="json",
    ).json()
    breakdown = {
        limits["id"]: {"correct": 4, "total": 5, "time_min": 20},
        series["id"]: {"correct": 2, "total": 3, "time_min": 25},
    }
    response = eager_commits(
        lambda: api_client.post(
            "/api/performance",
            {
                "user_id": str(user.pk),
                "assessment_id": assessment["id"],
                "score": 60,
                "time_spent": 45,
                "topic_breakdown": breakdown,
            },
            format="json",
        )
    )
    assert response.status_code == 201, response.json()
    record = PerformanceRecord.objects.get(pk=response.json()["id"])
    assert record.user == user
    assert str(record.course_id) == course["id"]
    assert str(record.assessment_id) == assessment["id"]
    assert (record.score, record.max_score, record.percentage) == (60.0, 100.0, 60.0)
    assert record.time_spent_min == 45  # the seed's time_spent is minutes: no conversion
    assert record.topic_breakdown == breakdown
    # Item 5: the quiz's breakdown counts the questions of each topic.
    counts = dict(
        AssessmentTopic.objects.filter(assessment_id=assessment["id"]).values_list(
            "topic__name", "question_count"
        )
    )
    assert counts == {"Limits": 5, "Series": 3}
    assert MasteryRecord.objects.filter(user=user).count() == 2


def test_question_count_is_filled_once_and_never_over_a_known_one(api_client, user):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    assessment = api_client.post(
        f"/api/courses/{course['id']}/assessments",
        {"name": "Quiz", "type": "quiz", "weight": 5, "due_date": "2026-09-01T09:00:00Z"}
        | {"topic_ids": [topic["id"]]},
        format="json",
    ).json()

    def record(total):
        return api_client.post(
            "/api/performance",
            {
                "assessment_id": assessment["id"],
                "score": 50,
                "time_spent": 10,
                "topic_breakdown": {topic["id"]: {"correct": 1, "total": total}},
            },
            format="json",
        )

    assert record(4).status_code == 201
    assert record(6).status_code == 201
    assert AssessmentTopic.objects.get(assessment_id=assessment["id"]).question_count == 4


def test_import_grades_as_the_seed_with_question_counts(api_client, user):
    course = _course(api_client, user)
    _topic(api_client, course["id"], name="Limits")
    response = api_client.post(
        "/api/import/grades",
        {
            "user_id": str(user.pk),
            "course_id": course["id"],
            "grade_data": [
                {
                    "assessment_name": "Quiz 1",
                    "score": 8,
                    "max_score": 10,
                    "date": "2026-09-01",
                    "topics": {"Limits": 10},
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    record = PerformanceRecord.objects.get(user=user)
    assert (record.score, record.max_score, record.assessment.name) == (8.0, 10.0, "Quiz 1")
    assert AssessmentTopic.objects.get(assessment=record.assessment).question_count == 10


def test_import_courses_csv_as_the_seed(api_client, other_api_client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload():
        return SimpleUploadedFile(
            "courses.csv",
            b"name,code,semester,start_date,end_date,instructor\n"
            b"Physics,PHYS 1401,Fall 2026,2026-08-24,2026-12-11,Dr. Curie\n",
            content_type="text/csv",
        )

    refused = other_api_client.post(
        "/api/import/csv", {"user_id": str(user.pk), "csv_file": upload()}, format="multipart"
    )
    assert refused.status_code == 404
    response = api_client.post(
        "/api/import/csv", {"user_id": str(user.pk), "csv_file": upload()}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    course = Course.objects.get()
    assert (course.user, course.code, course.instructor_name) == (user, "PHYS 1401", "Dr. Curie")


# --- both spellings, unknown fields ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "alias"),
    [
        (
            "topics",
            {"name": "T", "difficulty": "hard", "estimated_difficulty": "easy"},
            "difficulty",
        ),
        (
            "assessments",
            {
                "name": "A",
                "type": "quiz",
                "weight": 10,
                "weight_percent": 20,
                "due_date": "2026-10-01T09:00:00Z",
            },
            "weight",
        ),
    ],
)
def test_both_spellings_with_different_values_is_a_400(api_client, user, path, body, alias):
    course = _course(api_client, user)
    response = api_client.post(f"/api/courses/{course['id']}/{path}", body, format="json")
    assert response.status_code == 400
    assert alias in response.json()
    assert not Topic.objects.filter(name="T").exists()
    assert not Assessment.objects.exists()


def test_both_spellings_with_the_same_value_are_fine(api_client, user):
    course = _course(api_client, user)
    topic = _topic(
        api_client, course["id"], name="T", difficulty="hard", estimated_difficulty="hard"
    )
    assert Topic.objects.get(pk=topic["id"]).estimated_difficulty == "hard"
    response = api_client.post(
        f"/api/courses/{course['id']}/assessments",
        {"name": "A", "type": "quiz", "weight": 10, "weight_percent": 10.0}
        | {"due_date": "2026-10-01T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert Assessment.objects.get().weight_percent == 10.0


def test_performance_time_spent_conflict_is_a_400(api_client, user):
    course = _course(api_client, user)
    response = api_client.post(
        "/api/performance",
        {"course": course["id"], "score": 5, "time_spent": 10, "time_spent_min": 11},
        format="json",
    )
    assert response.status_code == 400
    assert "time_spent" in response.json()
    assert not PerformanceRecord.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "unknown"),
    [
        ("/api/courses", {**SEED_COURSE, "instructer": "Typo"}, "instructer"),
        ("/api/performance", {"score": 5, "time_spent_min": 5, "colour": "red"}, "colour"),
        ("/api/schedule/replan", {"reason": "calendar_change", "urgent": True}, "urgent"),
    ],
)
def test_unknown_fields_are_a_400_naming_them(api_client, user, path, body, unknown):
    response = api_client.post(path, body, format="json")
    assert response.status_code == 400
    assert unknown in response.json()
    assert not Course.objects.exists()
    assert not PerformanceRecord.objects.exists()


# --- ownership -----------------------------------------------------------------------------


def test_another_users_id_is_a_404_in_bodies_and_paths(api_client, other_api_client, user):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    task = StudyTaskFactory(course=Course.objects.get(pk=course["id"]))
    ada = str(user.pk)
    as_mallory = [
        other_api_client.post("/api/courses", {**SEED_COURSE, "user_id": ada}, format="json"),
        other_api_client.get(f"/api/mastery/{ada}/topics"),
        other_api_client.get(f"/api/mastery/{ada}/topic/{topic['id']}"),
        other_api_client.post(
            f"/api/mastery/{ada}/update",
            {"topic_id": topic["id"], "quiz_score": 90, "question_count": 5, "time_spent_min": 9},
            format="json",
        ),
        other_api_client.get(f"/api/tasks/next/{ada}"),
        other_api_client.put(
            f"/api/schedule/task/{task.pk}/reschedule",
            {"new_start_time": "2026-09-09T10:00:00Z"},
            format="json",
        ),
        other_api_client.post(
            "/api/schedule/replan", {"user_id": ada, "reason": "calendar_change"}, format="json"
        ),
    ]
    assert [response.status_code for response in as_mallory] == [404] * len(as_mallory)
    assert Course.objects.count() == 1
    assert not PerformanceRecord.objects.exists()
    task.refresh_from_db()
    assert not task.is_pinned
    # A path id that is no user at all is the same 404.
    assert api_client.get("/api/mastery/not-a-uuid/topics").status_code == 404


def test_an_anonymous_caller_gets_401_before_the_user_id_check(anon_api_client, user):
    assert anon_api_client.get(f"/api/mastery/{user.pk}/topics").status_code in (401, 403)


# --- Module 2 -----------------------------------------------------------------------------------


def test_mastery_paths_with_the_users_id(api_client, user):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    ada = str(user.pk)

    update = api_client.post(
        f"/api/mastery/{ada}/update",
        {
            "topic_id": topic["id"],
            "quiz_score": 80,
            "question_count": 5,
            "time_spent_min": 15,
            "difficulty_level": "hard",
        },
        format="json",
    )
    assert update.status_code == 201, update.json()
    body = update.json()
    stored = MasteryRecord.objects.get(user=user, topic_id=topic["id"])
    assert body["old_mastery"] is None
    assert body["new_mastery"] == pytest.approx(stored.mastery_score)
    assert body["confidence_interval"] == pytest.approx(stored.confidence_interval)
    assert body["trend"] == stored.trend
    assert body["next_review_date"] == stored.next_review_date.isoformat()
    record = PerformanceRecord.objects.get(user=user)
    assert (record.score, record.max_score, record.time_spent_min) == (80.0, 100.0, 15)
    assert record.topic_breakdown[topic["id"]]["correct"] == 4
    assert record.topic_breakdown[topic["id"]]["total"] == 5
    assert {item["difficulty"] for item in record.question_data} == {"hard"}

    second = api_client.post(
        f"/api/mastery/{ada}/update",
        {"topic_id": topic["id"], "quiz_score": 20, "question_count": 5, "time_spent_min": 15},
        format="json",
    ).json()
    assert second["old_mastery"] == pytest.approx(body["new_mastery"])
    assert second["new_mastery"] < second["old_mastery"]

    listing = api_client.get(f"/api/mastery/{ada}/topics").json()
    items = listing["results"] if isinstance(listing, dict) else listing
    (item,) = items
    stored.refresh_from_db()
    assert item["topic_id"] == topic["id"]
    assert item["topic_name"] == "Limits"
    assert item["course_id"] == course["id"]
    assert item["course_name"] == "Calculus I"
    assert item["mastery_score"] == pytest.approx(stored.mastery_score)
    assert item["last_practiced"] is not None
    assert item["practice_count"] == stored.practice_count
    assert item["quiz_count"] == stored.quiz_count

    detail = api_client.get(f"/api/mastery/{ada}/topic/{topic['id']}").json()
    assert detail["topic_id"] == topic["id"]
    assert detail["current_mastery"] == pytest.approx(stored.mastery_score)
    assert [(h["mastery"], h["quiz_score"]) for h in detail["history"]] == [
        (pytest.approx(o.mastery_after), pytest.approx(o.score_percent))
        for o in MasteryObservation.objects.filter(user=user).order_by("sequence")
    ]
    assert all(h["date"] for h in detail["history"])


def test_mastery_update_refuses_another_users_topic(api_client, other_api_client, user, other_user):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    response = other_api_client.post(
        f"/api/mastery/{other_user.pk}/update",
        {"topic_id": topic["id"], "quiz_score": 80, "question_count": 5, "time_spent_min": 15},
        format="json",
    )
    assert response.status_code == 400
    assert "topic_id" in response.json()
    assert not PerformanceRecord.objects.exists()


def test_next_tasks_honours_horizon_days_and_max_tasks(api_client, user):
    course = Course.objects.get(pk=_course(api_client, user)["id"])
    topic = Topic.objects.create(course=course, name="Limits")
    soon = [
        StudyTaskFactory(
            course=course,
            priority_score=50 - index,
            scheduled_start=NOW + timedelta(days=1, hours=index),
            topic_ids=[str(topic.pk)],
        )
        for index in range(3)
    ]
    late = StudyTaskFactory(
        course=course, priority_score=99, scheduled_start=NOW + timedelta(days=10)
    )
    waiting = StudyTaskFactory(
        course=course, priority_score=10, scheduled_start=None, status=TaskStatus.PENDING
    )
    ada = str(user.pk)

    def ids(url):
        response = api_client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        return [item["id"] for item in (body["results"] if isinstance(body, dict) else body)]

    # The seed's defaults: 7 days and 14 tasks.
    assert ids(f"/api/tasks/next/{ada}") == [str(t.pk) for t in [*soon, waiting]]
    assert ids(f"/api/tasks/next/{ada}?horizon_days=14") == [
        str(t.pk) for t in [late, *soon, waiting]
    ]
    assert ids(f"/api/tasks/next/{ada}?max_tasks=2") == [str(t.pk) for t in soon[:2]]
    assert ids("/api/tasks/next?horizon_days=7&max_tasks=1") == [str(soon[0].pk)]
    # Our path without parameters keeps its old answer: every open task.
    assert len(ids("/api/tasks/next")) == 5
    assert api_client.get(f"/api/tasks/next/{ada}?max_tasks=0").status_code == 400

    first = api_client.get(f"/api/tasks/next/{ada}?max_tasks=1").json()
    item = (first["results"] if isinstance(first, dict) else first)[0]
    assert item["topic_id"] == str(topic.pk)
    assert item["topic_name"] == "Limits"
    assert item["course_name"] == "Calculus I"
    assert item["recommended_difficulty"] == soon[0].difficulty
    assert item["priority_score"] == 50
    assert item["estimated_duration_min"] == soon[0].estimated_duration_min
    assert item["reason"] == soon[0].reason


# --- Module 3 -----------------------------------------------------------------------------------


def test_reschedule_on_the_seeds_path_keeps_the_reason(api_client, user):
    course = Course.objects.get(pk=_course(api_client, user)["id"])
    task = StudyTaskFactory(course=course, scheduled_start=NOW + timedelta(days=1))
    # 06:00 local is outside the default availability: a 400 with the reason.
    early = api_client.put(
        f"/api/schedule/task/{task.pk}/reschedule",
        {"new_start_time": (NOW + timedelta(days=2)).isoformat(), "reason": "dentist"},
        format="json",
    )
    assert early.status_code == 400
    assert "outside your study availability" in early.json()["new_start_time"][0]
    new_start = NOW + timedelta(days=2, hours=13)  # 19:00 local, inside the evening window
    response = api_client.put(
        f"/api/schedule/task/{task.pk}/reschedule",
        {"new_start_time": new_start.isoformat(), "reason": "dentist"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert (task.scheduled_start, task.is_pinned) == (new_start, True)
    assert task.history.first().history_change_reason == "dentist"
    assert response.json()["start_time"] == response.json()["scheduled_start"]


def test_generate_and_replan_as_module_3(api_client, user):
    _course(api_client, user)
    ada = str(user.pk)
    response = api_client.post(
        "/api/schedule/generate",
        {"user_id": ada, "start_date": "2026-09-07", "horizon_days": 7},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["unscheduled_tasks"] == len(body["unscheduled"])
    assert {"schedule", "total_hours", "daily_breakdown"} <= set(body)
    disagree = api_client.post(
        "/api/schedule/generate",
        {"start_date": "2026-09-07", "end_date": "2026-09-20", "horizon_days": 7},
        format="json",
    )
    assert disagree.status_code == 400
    assert "horizon_days" in disagree.json()
    replan = api_client.post(
        "/api/schedule/replan", {"user_id": ada, "reason": "calendar_change"}, format="json"
    )
    assert replan.status_code == 200, replan.json()
    assert replan.json()["reason"] == "calendar_change"


# --- item 5: actual_mastery_gain ---------------------------------------------------------------


def test_actual_mastery_gain_is_the_change_from_the_first_evidence_after_the_block(
    api_client, user, eager_commits
):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    ada = str(user.pk)
    # Evidence before the block, so there is a mastery to measure from.
    api_client.post(
        f"/api/mastery/{ada}/update",
        {"topic_id": topic["id"], "quiz_score": 40, "question_count": 5, "time_spent_min": 10}
        | {"completed_at": (NOW - timedelta(days=2)).isoformat()},
        format="json",
    )
    task = StudyTaskFactory(
        course=Course.objects.get(pk=course["id"]),
        topic_ids=[topic["id"]],
        scheduled_start=NOW - timedelta(hours=1),
        status=TaskStatus.IN_PROGRESS,
        actual_start=NOW - timedelta(hours=1),
    )
    response = eager_commits(
        lambda: api_client.post(
            f"/api/schedule/tasks/{task.pk}/complete", {"self_rating": 5}, format="json"
        )
    )
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    after_block = (
        MasteryObservation.objects.filter(user=user, observed_at__gte=task.actual_start)
        .order_by("sequence")
        .first()
    )
    assert after_block is not None and after_block.mastery_before is not None
    expected = after_block.mastery_after - after_block.mastery_before
    assert expected > 0
    assert task.actual_mastery_gain == pytest.approx(expected, abs=1e-3)


def test_actual_mastery_gain_stays_null_without_evidence_before_the_block(
    api_client, user, eager_commits
):
    course = _course(api_client, user)
    topic = _topic(api_client, course["id"], name="Limits")
    task = StudyTaskFactory(
        course=Course.objects.get(pk=course["id"]),
        topic_ids=[topic["id"]],
        scheduled_start=NOW - timedelta(hours=1),
        status=TaskStatus.IN_PROGRESS,
        actual_start=NOW - timedelta(hours=1),
    )
    eager_commits(
        lambda: api_client.post(
            f"/api/schedule/tasks/{task.pk}/complete", {"self_rating": 4}, format="json"
        )
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.actual_mastery_gain is None


# --- the OpenAPI schema ---------------------------------------------------------------------


def test_the_schema_documents_both_names_and_the_seeds_paths(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def request_fields(path, method):
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        return set(components[name]["properties"])

    topic = request_fields("/api/courses/{course_id}/topics", "post")
    assert {"difficulty", "estimated_difficulty", "prerequisite_ids", "course_id"} <= topic
    assert {"weight", "weight_percent"} <= request_fields(
        "/api/courses/{course_id}/assessments", "post"
    )
    assert {"assessment_id", "assessment", "time_spent", "time_spent_min", "user_id"} <= (
        request_fields("/api/performance", "post")
    )
    assert {"grade_data", "grades", "user_id"} <= request_fields("/api/import/grades", "post")
    assert {"horizon_days", "user_id"} <= request_fields("/api/schedule/generate", "post")
    assert {
        "/api/mastery/{user_id}/topics",
        "/api/mastery/{user_id}/topic/{topic_id}",
        "/api/mastery/{user_id}/update",
        "/api/tasks/next/{user_id}",
        "/api/schedule/task/{id}/reschedule",
    } <= set(schema["paths"])
    assert {"horizon_days", "max_tasks"} <= {
        parameter["name"] for parameter in schema["paths"]["/api/tasks/next"]["get"]["parameters"]
    }
