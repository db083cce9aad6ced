from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import UserPreferences
from courses.models import Assessment, AssessmentTopic, Course, Topic
from courses.selectors import COURSES_PER_PAGE, TOPICS_PER_PAGE
from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from courses.tests.test_api import snapshot
from courses.tests.test_imports import CANVAS_FEED, CSV_HEADER, csv_line

pytestmark = pytest.mark.django_db

COURSE_FORM = {
    "name": "Calculus I",
    "code": "MATH 2413",
    "semester": "Fall 2026",
    "start_date": "2026-08-24",
    "end_date": "2026-12-18",
    "instructor_name": "Dr. Noether",
    "credit_hours": "3",
    "color": "#3366cc",
    "description": "",
}


def test_pages_need_login(client):
    response = client.get(reverse("courses:list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_empty_course_list(logged_in_client):
    response = logged_in_client.get(reverse("courses:list"))
    assert "No courses yet: add one or import them" in response.content.decode()


def test_course_list_query_count_is_constant(logged_in_client, user):
    CourseFactory(user=user)
    # Warm first, both times: the session's user and the page shell's state are cached.
    logged_in_client.get(reverse("courses:list"))
    with CaptureQueriesContext(connection) as one:
        logged_in_client.get(reverse("courses:list"))
    # Counted now: the next request empties the connection's query log.
    one_course = len(one)
    CourseFactory.create_batch(10, user=user)
    logged_in_client.get(reverse("courses:list"))
    with CaptureQueriesContext(connection) as many:
        response = logged_in_client.get(reverse("courses:list"))
    # A page of courses, the rest on the next: the header row and COURSES_PER_PAGE rows.
    assert response.content.decode().count("<tr>") == 1 + COURSES_PER_PAGE
    assert "Page 1 of 2 (11 courses)" in response.content.decode()
    assert len(many) == one_course


def test_course_list_pages_current_courses_before_archived_ones(logged_in_client, user):
    archived = CourseFactory(user=user, code="AAA100", is_archived=True)
    current = CourseFactory.create_batch(COURSES_PER_PAGE, user=user)
    first = logged_in_client.get(reverse("courses:list")).content.decode()
    second = logged_in_client.get(reverse("courses:list") + "?page=2").content.decode()
    # The archived course sorts first by code, but current courses come first.
    assert all(course.code in first for course in current)
    assert archived.code not in first and "Archived courses" not in first
    assert archived.code in second and "Archived courses" in second
    # Page 2 holds no current course, so it shows no empty "current" section either.
    assert "Current courses" not in second and "Every course is archived" not in second


def test_course_detail_query_count_is_constant(logged_in_client, user):
    course = CourseFactory(user=user)

    def add():
        topic = TopicFactory(course=course)
        AssessmentTopicFactory(
            assessment=AssessmentFactory(course=course, weight_percent=0), topic=topic
        )

    add()
    url = reverse("courses:detail", args=[course.pk])
    # Warm first, both times: the session's user and the page shell's state are cached.
    logged_in_client.get(url)
    with CaptureQueriesContext(connection) as one:
        logged_in_client.get(url)
    # Counted now: the next request empties the connection's query log.
    one_topic = len(one)
    for _ in range(10):
        add()
    logged_in_client.get(url)
    with CaptureQueriesContext(connection) as many:
        logged_in_client.get(url)
    assert len(many) == one_topic


def test_course_detail_pages_topics_and_names_prerequisites_on_other_pages(logged_in_client, user):
    course = CourseFactory(user=user)
    first = TopicFactory(course=course, name="Limits", order_index=0)
    for index in range(1, TOPICS_PER_PAGE):
        TopicFactory(course=course, name=f"Topic {index:02d}", order_index=index)
    last = TopicFactory(
        course=course,
        name="Series",
        order_index=TOPICS_PER_PAGE,
        prerequisite_topic_ids=[str(first.pk)],
    )
    url = reverse("courses:detail", args=[course.pk])
    page_one = logged_in_client.get(url).content.decode()
    page_two = logged_in_client.get(url + "?page=2").content.decode()
    assert "Limits" in page_one and last.name not in page_one
    assert f"Page 1 of 2 ({TOPICS_PER_PAGE + 1} topics)" in page_one
    # The prerequisite sits on page 1 and is still named on page 2.
    row = page_two[page_two.index('<td data-label="Topic">Series</td>') :]
    assert row[: row.index("</tr>")].count("Limits") == 1
    assert "Topic 01" not in page_two


def test_create_course_then_detail_shows_weights(logged_in_client, user):
    response = logged_in_client.post(reverse("courses:create"), COURSE_FORM)
    course = Course.objects.for_user(user).get()
    assert response.status_code == 302
    assert response.url == reverse("courses:detail", args=[course.pk])
    AssessmentFactory(course=course, weight_percent=40)
    page = logged_in_client.get(response.url).content.decode()
    assert "Weights total 40% of 100% (incomplete)" in page


def test_create_course_errors_sit_next_to_fields(logged_in_client, user):
    CourseFactory(user=user, code="MATH 2413", semester="Fall 2026")
    response = logged_in_client.post(reverse("courses:create"), COURSE_FORM)
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["MATH 2413 already exists in Fall 2026."]
    response = logged_in_client.post(
        reverse("courses:create"), {**COURSE_FORM, "code": "X", "end_date": "2026-01-01"}
    )
    assert "end_date" in response.context["form"].errors
    assert Course.objects.count() == 1


def test_edit_archive_and_delete_course(logged_in_client, user):
    course = CourseFactory(user=user)
    response = logged_in_client.post(
        reverse("courses:update", args=[course.pk]), {**COURSE_FORM, "name": "Renamed"}
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.name == "Renamed"

    logged_in_client.post(reverse("courses:archive", args=[course.pk]))
    course.refresh_from_db()
    assert course.is_archived
    logged_in_client.post(reverse("courses:archive", args=[course.pk]))
    course.refresh_from_db()
    assert not course.is_archived

    confirm = logged_in_client.get(reverse("courses:delete", args=[course.pk]))
    assert "cannot be undone" in confirm.content.decode()
    assert Course.objects.filter(pk=course.pk).exists()
    response = logged_in_client.post(reverse("courses:delete", args=[course.pk]))
    assert response.url == reverse("courses:list")
    assert not Course.objects.filter(pk=course.pk).exists()


def test_topic_create_and_cycle_error_on_the_form(logged_in_client, user):
    course = CourseFactory(user=user)
    url = reverse("courses:topic_create", args=[course.pk])
    logged_in_client.post(url, {"name": "Limits", "estimated_difficulty": "medium"})
    limits = Topic.objects.get(name="Limits")
    logged_in_client.post(
        url,
        {
            "name": "Continuity",
            "estimated_difficulty": "hard",
            "prerequisite_topic_ids": [str(limits.pk)],
        },
    )
    continuity = Topic.objects.get(name="Continuity")
    assert continuity.prerequisite_topic_ids == [str(limits.pk)]

    response = logged_in_client.post(
        reverse("courses:topic_update", args=[limits.pk]),
        {
            "name": "Limits",
            "estimated_difficulty": "medium",
            "prerequisite_topic_ids": [str(continuity.pk)],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["prerequisite_topic_ids"]
    assert "Limits → Continuity → Limits" in errors[0]
    page = logged_in_client.get(reverse("courses:detail", args=[course.pk])).content.decode()
    assert "Continuity" in page and "Limits" in page


def test_assessment_create_with_topic_weights_and_over_100_error(logged_in_client, user):
    course = CourseFactory(user=user)
    limits = TopicFactory(course=course, name="Limits")
    url = reverse("courses:assessment_create", args=[course.pk])
    form = {
        "name": "Midterm",
        "type": "midterm",
        "weight_percent": "40",
        "due_date": "2026-10-15T18:00",
        "estimated_duration_min": "90",
        "max_score": "100",
        "topic_ids": [str(limits.pk)],
        f"weight_{limits.pk}": "100",
    }
    response = logged_in_client.post(url, form)
    assert response.status_code == 302, response.context["form"].errors
    midterm = Assessment.objects.get()
    # The form's time is the student's (New York): 18:00 EDT is 22:00 UTC.
    assert midterm.due_date == datetime(2026, 10, 15, 22, 0, tzinfo=UTC)
    assert AssessmentTopic.objects.get().weight_in_assessment == 100

    response = logged_in_client.post(url, {**form, "name": "Final", "weight_percent": "70"})
    assert response.status_code == 200
    assert "110" in response.context["form"].errors["weight_percent"][0]
    assert Assessment.objects.count() == 1

    edit = logged_in_client.get(reverse("courses:assessment_update", args=[midterm.pk]))
    assert 'value="2026-10-15T18:00"' in edit.content.decode()


def test_assessment_and_topic_delete_pages(logged_in_client, user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    assessment = AssessmentFactory(course=course)
    logged_in_client.post(reverse("courses:assessment_delete", args=[assessment.pk]))
    logged_in_client.post(reverse("courses:topic_delete", args=[topic.pk]))
    assert not Assessment.objects.exists()
    assert not Topic.objects.exists()


def test_every_view_is_404_for_another_user(client, user, other_user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    assessment = AssessmentFactory(course=course)
    client.force_login(other_user)
    before = snapshot(user)
    urls = [
        ("courses:detail", course.pk),
        ("courses:update", course.pk),
        ("courses:archive", course.pk),
        ("courses:delete", course.pk),
        ("courses:topic_create", course.pk),
        ("courses:assessment_create", course.pk),
        ("courses:topic_update", topic.pk),
        ("courses:topic_delete", topic.pk),
        ("courses:assessment_update", assessment.pk),
        ("courses:assessment_delete", assessment.pk),
    ]
    for name, pk in urls:
        url = reverse(name, args=[pk])
        if name != "courses:archive":
            assert client.get(url).status_code == 404, name
        if name != "courses:detail":
            assert client.post(url, {**COURSE_FORM, "name": "Hijack"}).status_code == 404, name
    assert snapshot(user) == before
    assert "No courses yet" in client.get(reverse("courses:list")).content.decode()


# --- import pages ---------------------------------------------------------------------------


def test_csv_import_page_preview_then_confirm(logged_in_client, user):
    url = reverse("courses:import_csv")
    content = (CSV_HEADER + csv_line(1) + csv_line(2)).encode()
    response = logged_in_client.post(
        url, {"file": SimpleUploadedFile("c.csv", content, "text/csv")}
    )
    page = response.content.decode()
    assert "Preview" in page and "CRS 101" in page
    assert "2 new" in page
    assert not Course.objects.exists()
    response = logged_in_client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert Course.objects.for_user(user).count() == 2
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported: 2 created, 0 updated, 0 unchanged."
    ]


def test_csv_import_page_lists_row_errors_and_offers_no_confirm(logged_in_client):
    content = (CSV_HEADER + csv_line(1) + "X,CRS 9,Fall 2026,2026-08-24,soon,\n").encode()
    response = logged_in_client.post(
        reverse("courses:import_csv"),
        {"file": SimpleUploadedFile("c.csv", content, "text/csv")},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert "<html" not in page  # htmx gets the region only
    assert "Problems found" in page
    assert "end_date: " in page
    assert 'name="confirm"' not in page
    assert not Course.objects.exists()


def test_csv_import_file_error_is_a_form_error(logged_in_client):
    response = logged_in_client.post(
        reverse("courses:import_csv"),
        {"file": SimpleUploadedFile("c.csv", b"name,code\n", "text/csv")},
    )
    assert "Missing column" in response.content.decode()


def test_csv_confirm_without_preview_redirects(logged_in_client):
    response = logged_in_client.post(reverse("courses:import_csv"), {"confirm": "1"})
    assert response.status_code == 302
    assert not Course.objects.exists()


def test_lms_import_page_preview_then_confirm(logged_in_client, user):
    CourseFactory(user=user, code="MATH 2413")
    url = reverse("courses:import_lms")
    response = logged_in_client.post(
        url, {"file": SimpleUploadedFile("canvas.ics", CANVAS_FEED.encode(), "text/calendar")}
    )
    page = response.content.decode()
    assert "Homework 3 [MATH 2413-001 Calculus I]" in page
    assert "– Skip" in page
    assert not Assessment.objects.exists()
    response = logged_in_client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert Assessment.objects.for_user(user).count() == 3
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Imported: 3 created, 0 updated, 0 unchanged, 2 skipped."
    ]


def test_lms_import_page_needs_a_file_or_url(logged_in_client):
    response = logged_in_client.post(reverse("courses:import_lms"), {})
    assert "one of the two" in response.content.decode()


def test_lms_import_page_rejects_bad_scheme(logged_in_client):
    response = logged_in_client.post(
        reverse("courses:import_lms"), {"url": "http://127.0.0.1:1/x.ics"}
    )
    assert response.context["form"].errors


# --- study modes ----------------------------------------------------------------------------


def test_study_modes_page_saves_per_course(
    logged_in_client, user, django_capture_on_commit_callbacks
):
    from accounts.signals import preferences_changed

    math = CourseFactory(user=user, code="MATH 2413")
    phys = CourseFactory(user=user, code="PHYS 2425")
    stale_key = "00000000-0000-0000-0000-000000000001"
    UserPreferences.objects.create(user=user, study_mode_preferences={stale_key: ["review"]})
    events = []

    def receiver(sender, user_id, **kwargs):
        events.append(user_id)

    preferences_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = logged_in_client.post(
                reverse("courses:study_modes"),
                {
                    f"modes_{math.pk}": ["flashcards", "reading"],
                    f"modes_{phys.pk}": ["problem_sets"],
                },
            )
    finally:
        preferences_changed.disconnect(receiver)
    assert response.status_code == 302
    prefs = UserPreferences.objects.for_user(user).get()
    assert prefs.study_mode_preferences == {
        stale_key: ["review"],
        str(math.pk): ["reading", "flashcards"],
        str(phys.pk): ["problem_sets"],
    }
    assert len(events) == 1
    page = logged_in_client.get(reverse("courses:study_modes")).content.decode()
    assert page.count("checked") == 3


def test_study_modes_pages_courses_and_saving_a_page_keeps_the_others(logged_in_client, user):
    courses = [
        CourseFactory(user=user, code=f"C{index:03d}") for index in range(COURSES_PER_PAGE + 1)
    ]
    on_page_one, on_page_two = courses[0], courses[-1]
    UserPreferences.objects.create(
        user=user, study_mode_preferences={str(on_page_one.pk): ["review"]}
    )
    url = reverse("courses:study_modes")
    first = logged_in_client.get(url).content.decode()
    assert f"modes_{on_page_one.pk}" in first and f"modes_{on_page_two.pk}" not in first
    response = logged_in_client.post(url + "?page=2", {f"modes_{on_page_two.pk}": ["reading"]})
    assert response.status_code == 302 and response.url == url + "?page=2"
    prefs = UserPreferences.objects.for_user(user).get()
    assert prefs.study_mode_preferences == {
        str(on_page_one.pk): ["review"],
        str(on_page_two.pk): ["reading"],
    }
    second = logged_in_client.get(response.url).content.decode()
    assert "Saving keeps your choices for the courses on the other pages." in second
    assert second.count("checked") == 1


def test_study_modes_page_writes_the_inputs_the_form_widget_would(logged_in_client, user):
    math = CourseFactory(user=user, code="MATH 2413")
    UserPreferences.objects.create(
        user=user, study_mode_preferences={str(math.pk): ["reading", "review"]}
    )
    response = logged_in_client.get(reverse("courses:study_modes"))
    page = response.content.decode()
    field = response.context["form"][f"modes_{math.pk}"]
    for choice in field:
        assert str(choice.tag()) in page
    assert page.count("checked") == 2


def test_study_modes_error_keeps_what_was_ticked(logged_in_client, user):
    course = CourseFactory(user=user)
    response = logged_in_client.post(
        reverse("courses:study_modes"), {f"modes_{course.pk}": ["reading", "sleeping"]}
    )
    page = response.content.decode()
    assert f'id="id_modes_{course.pk}_errors"' in page
    assert "sleeping is not one of the available choices" in page
    assert 'value="reading" id="id_modes_' in page and page.count("checked") == 1


def test_study_modes_rejects_unknown_mode(logged_in_client, user):
    course = CourseFactory(user=user)
    response = logged_in_client.post(
        reverse("courses:study_modes"), {f"modes_{course.pk}": ["sleeping"]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors


def test_study_modes_empty_state(logged_in_client):
    page = logged_in_client.get(reverse("courses:study_modes")).content.decode()
    assert "No courses yet" in page


def test_import_pages_render_their_forms(logged_in_client, user):
    CourseFactory(user=user, code="MATH 2413")
    csv_page = logged_in_client.get(reverse("courses:import_csv")).content.decode()
    assert 'type="file"' in csv_page and "MM/DD/YYYY" in csv_page
    lms_page = logged_in_client.get(reverse("courses:import_lms")).content.decode()
    assert 'name="url"' in lms_page and "MATH 2413" in lms_page


def test_lms_import_page_with_htmx_returns_the_region_and_confirms(logged_in_client, user):
    CourseFactory(user=user, code="MATH 2413")
    url = reverse("courses:import_lms")
    htmx = {"HX-Request": "true"}
    response = logged_in_client.post(
        url,
        {"file": SimpleUploadedFile("canvas.ics", CANVAS_FEED.encode(), "text/calendar")},
        headers=htmx,
    )
    region = response.content.decode()
    assert 'id="import-area"' in region
    assert "<html" not in region
    response = logged_in_client.post(url, {"confirm": "1"}, headers=htmx)
    assert "Imported" in response.content.decode()
    assert Assessment.objects.for_user(user).count() == 3
