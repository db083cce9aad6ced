from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Assessment, AssessmentTopic, Course, Topic
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

COURSE_PAYLOAD = {
    "name": "Calculus I",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": "2026-08-24",
    "end_date": "2026-12-18",
    "instructor_name": "Dr. Noether",
}


def due_iso(days=10):
    return (timezone.now() + timedelta(days=days)).isoformat()


def snapshot(user) -> dict:
    """Every course-side row of a user, to prove another user's requests changed nothing."""
    return {
        "courses": list(Course.objects.for_user(user).order_by("pk").values()),
        "topics": list(Topic.objects.for_user(user).order_by("pk").values()),
        "assessments": list(Assessment.objects.for_user(user).order_by("pk").values()),
        "links": list(
            AssessmentTopic.objects.filter(assessment__course__user=user).order_by("pk").values()
        ),
    }


# --- courses --------------------------------------------------------------------------------


def test_create_course_at_seed_path(api_client, user):
    response = api_client.post("/api/courses", COURSE_PAYLOAD, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["code"] == "MATH 2413"
    assert body["weights_total"] == 0
    assert body["weights_complete"] is False
    assert Course.objects.get(pk=body["id"]).user == user


def test_create_course_refuses_an_unknown_owner_field(api_client, user, other_user):
    # Unknown fields are refused by name, so an owner field is never a way in.
    response = api_client.post(
        "/api/courses", {**COURSE_PAYLOAD, "user": str(other_user.pk)}, format="json"
    )
    assert response.status_code == 400
    assert "user" in response.json()
    assert not Course.objects.exists()


def test_create_course_with_the_seeds_user_id_must_be_your_own(api_client, user, other_user):
    other = api_client.post(
        "/api/courses", {**COURSE_PAYLOAD, "user_id": str(other_user.pk)}, format="json"
    )
    assert other.status_code == 404
    assert not Course.objects.exists()
    own = api_client.post(
        "/api/courses", {**COURSE_PAYLOAD, "user_id": str(user.pk)}, format="json"
    )
    assert own.status_code == 201
    assert Course.objects.get().user == user


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2026-08-01"}, "end_date"),
        ({"start_date": "not a date"}, "start_date"),
        ({"name": ""}, "name"),
        ({"code": "X" * 41}, "code"),
        ({"color": "blue"}, "color"),
        ({"credit_hours": -1}, "credit_hours"),
    ],
)
def test_course_validation_is_400_with_field_errors(api_client, change, field):
    response = api_client.post("/api/courses", {**COURSE_PAYLOAD, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Course.objects.count() == 0


def test_duplicate_course_is_400_on_code(api_client, user):
    CourseFactory(user=user, code="MATH 2413", semester="Fall 2026")
    response = api_client.post("/api/courses", COURSE_PAYLOAD, format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    assert Course.objects.count() == 1


def test_course_retrieve_update_patch_delete(api_client, user):
    course = CourseFactory(user=user)
    AssessmentFactory(course=course, weight_percent=100)
    url = reverse("api:course-detail", args=[course.pk])
    body = api_client.get(url).json()
    assert body["weights_total"] == 100
    assert body["weights_complete"] is True

    response = api_client.put(url, {**COURSE_PAYLOAD, "name": "Renamed"}, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["name"] == "Renamed"

    response = api_client.patch(url, {"is_archived": True}, format="json")
    assert response.json()["is_archived"] is True
    assert response.json()["name"] == "Renamed"

    response = api_client.patch(url, {"end_date": "2020-01-01"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()

    assert api_client.delete(url).status_code == 204
    assert not Course.objects.filter(pk=course.pk).exists()


def test_course_list_filters_orders_and_paginates(api_client, user, other_user):
    CourseFactory(user=user, code="MATH 2413", semester="Fall 2026")
    CourseFactory(user=user, code="PHYS 2425", semester="Spring 2027", is_archived=True)
    CourseFactory(user=other_user, code="MATH 9999")
    body = api_client.get("/api/courses").json()
    assert body["count"] == 2
    assert [c["code"] for c in body["results"]] == ["MATH 2413", "PHYS 2425"]
    assert [c["code"] for c in api_client.get("/api/courses?ordering=-code").json()["results"]] == [
        "PHYS 2425",
        "MATH 2413",
    ]
    assert api_client.get("/api/courses?is_archived=true").json()["count"] == 1
    assert api_client.get("/api/courses?code=math").json()["count"] == 1
    assert api_client.get("/api/courses?semester=spring 2027").json()["count"] == 1


def test_course_list_is_paginated(api_client, user, settings):
    CourseFactory.create_batch(51, user=user)
    first = api_client.get("/api/courses").json()
    assert (first["count"], len(first["results"])) == (51, 50)
    assert first["next"].endswith("page=2")
    assert len(api_client.get("/api/courses?page=2").json()["results"]) == 1


def test_unauthenticated_is_rejected(anon_api_client):
    assert anon_api_client.get("/api/courses").status_code in (401, 403)
    assert anon_api_client.post("/api/courses", COURSE_PAYLOAD, format="json").status_code in (
        401,
        403,
    )


# --- topics ---------------------------------------------------------------------------------


def test_topic_create_with_prerequisite_ids_and_cycle_message(api_client, user):
    course = CourseFactory(user=user)
    url = reverse("api:course-topics", args=[course.pk])
    limits = api_client.post(url, {"name": "Limits"}, format="json").json()
    response = api_client.post(
        url,
        {"name": "Continuity", "prerequisite_ids": [limits["id"]], "estimated_difficulty": "hard"},
        format="json",
    )
    assert response.status_code == 201, response.data
    continuity = response.json()
    assert continuity["prerequisite_topic_ids"] == [limits["id"]]

    response = api_client.patch(
        reverse("api:topic-detail", args=[limits["id"]]),
        {"prerequisite_topic_ids": [continuity["id"]]},
        format="json",
    )
    assert response.status_code == 400
    assert "Limits → Continuity → Limits" in response.json()["prerequisite_topic_ids"][0]
    assert Topic.objects.get(pk=limits["id"]).prerequisite_topic_ids == []


def test_topic_prerequisite_of_other_user_is_400_naming_the_id(api_client, user, other_user):
    course = CourseFactory(user=user)
    foreign = TopicFactory(course=CourseFactory(user=other_user))
    response = api_client.post(
        reverse("api:course-topics", args=[course.pk]),
        {"name": "X", "prerequisite_topic_ids": [str(foreign.pk)]},
        format="json",
    )
    assert response.status_code == 400
    assert str(foreign.pk) in response.json()["prerequisite_topic_ids"][0]
    assert not Topic.objects.filter(course=course).exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "estimated_difficulty": "brutal"}, "estimated_difficulty"),
        ({"name": "X", "prerequisite_topic_ids": ["nope"]}, "prerequisite_topic_ids"),
        (
            {"name": "X", "resource_links": [{"type": "video", "url": "javascript:x"}]},
            "resource_links",
        ),
    ],
)
def test_topic_validation_400(api_client, user, payload, field):
    course = CourseFactory(user=user)
    response = api_client.post(
        reverse("api:course-topics", args=[course.pk]), payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Topic.objects.exists()


def test_topic_list_retrieve_put_delete(api_client, user):
    course = CourseFactory(user=user)
    TopicFactory(course=course, name="B", order_index=2, estimated_difficulty="hard")
    first = TopicFactory(course=course, name="A", order_index=1)
    body = api_client.get(reverse("api:course-topics", args=[course.pk])).json()
    assert [t["name"] for t in body["results"]] == ["A", "B"]
    filtered = api_client.get(
        reverse("api:course-topics", args=[course.pk]) + "?estimated_difficulty=hard"
    ).json()
    assert [t["name"] for t in filtered["results"]] == ["B"]
    url = reverse("api:topic-detail", args=[first.pk])
    assert api_client.get(url).json()["name"] == "A"
    response = api_client.put(url, {"name": "A2", "estimated_difficulty": "easy"}, format="json")
    assert response.status_code == 200
    assert response.json()["estimated_difficulty"] == "easy"
    assert api_client.delete(url).status_code == 204
    assert not Topic.objects.filter(pk=first.pk).exists()


# --- assessments ----------------------------------------------------------------------------


def test_assessment_create_with_topic_ids_and_weights(api_client, user):
    course = CourseFactory(user=user)
    limits, continuity = TopicFactory(course=course), TopicFactory(course=course)
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]),
        {
            "name": "Midterm",
            "type": "midterm",
            "weight_percent": 30,
            "due_date": due_iso(),
            "topic_ids": [str(limits.pk), str(continuity.pk)],
            "topic_weights": {str(limits.pk): 70, str(continuity.pk): 30},
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    topics = {t["topic_id"]: t["weight_in_assessment"] for t in response.json()["topics"]}
    assert topics == {str(limits.pk): 70.0, str(continuity.pk): 30.0}
    assert AssessmentTopic.objects.count() == 2


def test_assessment_over_100_is_400_and_not_written(api_client, user):
    course = CourseFactory(user=user)
    AssessmentFactory(course=course, weight_percent=90)
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]),
        {"name": "Final", "type": "final", "weight_percent": 20, "due_date": due_iso()},
        format="json",
    )
    assert response.status_code == 400
    assert "110" in response.json()["weight_percent"][0]
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "essay"}, "type"),
        ({"weight_percent": 101}, "weight_percent"),
        ({"weight_percent": -1}, "weight_percent"),
        ({"due_date": "soon"}, "due_date"),
        ({"max_score": 0}, "max_score"),
        ({"topic_ids": ["not-a-uuid"]}, "topic_ids"),
        ({"topic_weights": {"x": 150}}, "topic_weights"),
    ],
)
def test_assessment_validation_400(api_client, user, change, field):
    course = CourseFactory(user=user)
    payload = {"name": "Quiz", "type": "quiz", "weight_percent": 10, "due_date": due_iso()}
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]), {**payload, **change}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Assessment.objects.exists()


def test_assessment_topic_of_other_user_is_400(api_client, user, other_user):
    course = CourseFactory(user=user)
    foreign = TopicFactory(course=CourseFactory(user=other_user))
    response = api_client.post(
        reverse("api:course-assessments", args=[course.pk]),
        {
            "name": "Quiz",
            "type": "quiz",
            "weight_percent": 10,
            "due_date": due_iso(),
            "topic_ids": [str(foreign.pk)],
        },
        format="json",
    )
    assert response.status_code == 400
    assert str(foreign.pk) in response.json()["topic_ids"][0]
    assert not Assessment.objects.exists()


def test_assessment_schema_put_replaces_atomically(api_client, user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    midterm = AssessmentFactory(course=course, name="Midterm", weight_percent=50)
    AssessmentFactory(course=course, name="Gone", weight_percent=10)
    url = reverse("api:course-assessments", args=[course.pk])
    items = [
        {"id": str(midterm.pk), "name": "Midterm", "type": "midterm", "weight_percent": 40,
         "due_date": due_iso(), "topic_ids": [str(topic.pk)]},
        {"name": "Final", "type": "final", "weight_percent": 60, "due_date": due_iso(30)},
    ]  # fmt: skip
    response = api_client.put(url, {"assessments": items}, format="json")
    assert response.status_code == 200, response.data
    body = response.json()
    assert body["weights_total"] == 100
    assert body["weights_complete"] is True
    assert sorted(a["name"] for a in body["assessments"]) == ["Final", "Midterm"]
    assert not Assessment.objects.filter(name="Gone").exists()

    before = snapshot(user)
    bad = [{**items[0], "weight_percent": 10}, items[1]]
    response = api_client.put(url, {"assessments": bad}, format="json")
    assert response.status_code == 400
    assert "weight_percent" in response.json()
    assert snapshot(user) == before


def test_assessment_detail_patch_and_filters(api_client, user):
    course = CourseFactory(user=user)
    quiz = AssessmentFactory(course=course, type="quiz", weight_percent=10)
    AssessmentFactory(course=course, type="final", weight_percent=40)
    url = reverse("api:course-assessments", args=[course.pk])
    assert api_client.get(url + "?type=quiz").json()["count"] == 1
    assert [
        a["type"] for a in api_client.get(url + "?ordering=-weight_percent").json()["results"]
    ] == [
        "final",
        "quiz",
    ]
    detail = reverse("api:assessment-detail", args=[quiz.pk])
    response = api_client.patch(detail, {"weight_percent": 70}, format="json")
    assert response.status_code == 400
    response = api_client.patch(detail, {"weight_percent": 60, "is_completed": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_completed"] is True
    assert api_client.delete(detail).status_code == 204


# --- history --------------------------------------------------------------------------------


def test_history_endpoints_show_changes_and_user(api_client, user):
    course_url = "/api/courses"
    course = api_client.post(course_url, COURSE_PAYLOAD, format="json").json()
    api_client.patch(f"/api/courses/{course['id']}", {"name": "Calc I"}, format="json")
    body = api_client.get(f"/api/courses/{course['id']}/history").json()
    assert body["count"] == 2
    newest, oldest = body["results"]
    assert newest["history_type"] == "changed"
    assert newest["changes"] == [{"field": "name", "old": "Calculus I", "new": "Calc I"}]
    assert newest["history_user_email"] == user.email
    assert oldest["history_type"] == "created"
    assert oldest["snapshot"]["code"] == "MATH 2413"

    topic = TopicFactory(course_id=course["id"], name="Limits")
    assert api_client.get(f"/api/topics/{topic.pk}/history").json()["count"] == 1
    assessment = AssessmentFactory(course_id=course["id"])
    assert api_client.get(f"/api/assessments/{assessment.pk}/history").json()["count"] == 1


def test_history_query_count_is_constant(api_client, user, django_assert_max_num_queries):
    course = CourseFactory(user=user)
    url = f"/api/courses/{course.pk}/history"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        api_client.get(url)
    for index in range(10):
        course.name = f"Name {index}"
        course.save()
    with CaptureQueriesContext(connection) as many:
        response = api_client.get(url)
    assert response.json()["count"] == 11
    assert len(many) == len(one)


# --- query counts ---------------------------------------------------------------------------


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def test_list_endpoints_have_constant_query_counts(api_client, user):
    course = CourseFactory(user=user)

    def add_rows(count):
        for _ in range(count):
            CourseFactory(user=user)
            topic = TopicFactory(course=course)
            AssessmentTopicFactory(
                assessment=AssessmentFactory(course=course, weight_percent=0), topic=topic
            )

    urls = [
        "/api/courses",
        reverse("api:course-topics", args=[course.pk]),
        reverse("api:course-assessments", args=[course.pk]),
    ]
    add_rows(1)
    counts_with_one = [_count_queries(api_client, url) for url in urls]
    add_rows(10)
    counts_with_many = [_count_queries(api_client, url) for url in urls]
    assert counts_with_many == counts_with_one


# --- another user's objects: every route and method -----------------------------------------


def _routes(course, topic, assessment):
    topic_body = {"name": "Hijack"}
    assessment_body = {"name": "Hijack", "type": "quiz", "weight_percent": 1, "due_date": due_iso()}
    schema = {"assessments": [{**assessment_body, "weight_percent": 100}]}
    return [
        ("get", f"/api/courses/{course.pk}", None),
        ("put", f"/api/courses/{course.pk}", COURSE_PAYLOAD),
        ("patch", f"/api/courses/{course.pk}", {"name": "Hijack"}),
        ("delete", f"/api/courses/{course.pk}", None),
        ("get", f"/api/courses/{course.pk}/history", None),
        ("get", f"/api/courses/{course.pk}/topics", None),
        ("post", f"/api/courses/{course.pk}/topics", topic_body),
        ("get", f"/api/courses/{course.pk}/assessments", None),
        ("post", f"/api/courses/{course.pk}/assessments", assessment_body),
        ("put", f"/api/courses/{course.pk}/assessments", schema),
        ("get", f"/api/topics/{topic.pk}", None),
        ("put", f"/api/topics/{topic.pk}", topic_body),
        ("patch", f"/api/topics/{topic.pk}", topic_body),
        ("delete", f"/api/topics/{topic.pk}", None),
        ("get", f"/api/topics/{topic.pk}/history", None),
        ("get", f"/api/assessments/{assessment.pk}", None),
        ("put", f"/api/assessments/{assessment.pk}", assessment_body),
        ("patch", f"/api/assessments/{assessment.pk}", {"name": "Hijack"}),
        ("delete", f"/api/assessments/{assessment.pk}", None),
        ("get", f"/api/assessments/{assessment.pk}/history", None),
    ]


def test_every_route_and_method_is_404_for_another_user(user, other_api_client):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    assessment = AssessmentFactory(course=course)
    AssessmentTopicFactory(assessment=assessment, topic=topic)
    before = snapshot(user)
    routes = _routes(course, topic, assessment)
    for method, url, body in routes:
        response = getattr(other_api_client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    for url in {url for _, url, _ in routes}:
        assert other_api_client.options(url).status_code == 404, url
    assert snapshot(user) == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/courses/nope",
        "/api/courses/nope/topics",
        "/api/topics/1",
        "/api/assessments/x/history",
    ],
)
def test_malformed_ids_are_json_404s(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_another_users_course_is_not_listed(user, other_api_client):
    CourseFactory(user=user)
    assert other_api_client.get("/api/courses").json()["count"] == 0


def test_lms_import_into_another_users_course_is_400(user, other_api_client):
    course = CourseFactory(user=user)
    response = other_api_client.post(
        "/api/import/lms",
        {"url": "http://127.0.0.1:9/feed.ics", "course_id": str(course.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert "course_id" in response.json()
