"""The course overview: heatmap, prerequisite graph, assessments and the resource checklist."""

import pytest
from django.urls import reverse

from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from journey.course_overview import resource_key, topic_depths
from journey.models import ResourceCompletion
from scheduling.tests.factories import MasteryRecordFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

READING = "https://example.org/limits"
VIDEO = "https://example.org/limits-video"


@pytest.fixture
def course(user):
    course = CourseFactory(user=user, code="MATH 2413")
    functions = TopicFactory(course=course, name="Functions")
    limits = TopicFactory(
        course=course,
        name="Limits",
        prerequisite_topic_ids=[str(functions.pk)],
        resource_links=[{"type": "reading", "url": READING}, {"type": "video", "url": VIDEO}],
    )
    MasteryRecordFactory(topic=limits, mastery_score=35)
    AssessmentFactory(course=course, name="Midterm", weight_percent=40)
    return course


def test_the_overview_shows_heatmap_graph_weights_and_resources(logged_in_client, course):
    body = logged_in_client.get(reverse("journey:course_overview", args=[course.pk])).content
    body = body.decode()
    assert "heat-cell" in body and "No evidence yet" in body
    assert "Functions comes before Limits" in body
    assert "Midterm" in body and "40%" in body
    assert "0% done (0 of 2)" in body


def test_a_long_course_pages_heatmap_and_resources_but_graphs_every_topic(
    logged_in_client, user, course
):
    from mastery.views import HEATMAP_TOPICS_PER_PAGE

    for index in range(HEATMAP_TOPICS_PER_PAGE):
        TopicFactory(course=course, name=f"Later {index:02d}", order_index=index + 1)
    url = reverse("journey:course_overview", args=[course.pk])
    first = logged_in_client.get(url).content.decode()
    second = logged_in_client.get(url + "?page=2").content.decode()
    total = HEATMAP_TOPICS_PER_PAGE + 2
    assert f"Page 1 of 2 ({total} topics)" in first
    assert f"For the topics on this page of the heatmap, 25 to {total} of {total}." in second
    # The checklist follows the heatmap's page; the graph names every topic on both pages.
    assert 'id="resources-' in first and first.count('class="resource-topic"') == 24
    assert second.count('class="resource-topic"') == total - HEATMAP_TOPICS_PER_PAGE
    for body in (first, second):
        assert f"{total} topics. Functions comes before Limits" in body


def test_ticking_a_resource_updates_the_percentage(logged_in_client, user, course):
    limits = course.topics.get(name="Limits")
    url = reverse("journey:resource_toggle", args=[limits.pk])
    response = logged_in_client.post(
        url, {"resource": resource_key(READING), "done": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "50% done (1 of 2)" in response.content.decode()
    # Ticking twice keeps one row; unticking removes it.
    logged_in_client.post(url, {"resource": resource_key(READING), "done": "1"})
    assert ResourceCompletion.objects.filter(user=user).count() == 1
    response = logged_in_client.post(url, {"resource": resource_key(READING), "done": "0"})
    assert response.status_code == 302
    assert not ResourceCompletion.objects.exists()


def test_an_unknown_resource_is_refused(logged_in_client, course):
    limits = course.topics.get(name="Limits")
    url = reverse("journey:resource_toggle", args=[limits.pk])
    response = logged_in_client.post(
        url, {"resource": resource_key("https://evil.example"), "done": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert not ResourceCompletion.objects.exists()


def test_another_students_course_and_topic_are_404(logged_in_client, other_user):
    foreign = CourseFactory(user=other_user)
    topic = TopicFactory(course=foreign, resource_links=[{"type": "reading", "url": READING}])
    assert (
        logged_in_client.get(reverse("journey:course_overview", args=[foreign.pk])).status_code
        == 404
    )
    response = logged_in_client.post(
        reverse("journey:resource_toggle", args=[topic.pk]),
        {"resource": resource_key(READING), "done": "1"},
    )
    assert response.status_code == 404
    assert not ResourceCompletion.objects.exists()


def test_topic_depths_follow_the_longest_chain(user):
    # A stale cycle in old data (a after c) must not loop forever.
    depths = topic_depths({"a": ["c"], "b": ["a"], "c": ["a", "b"], "d": []})
    assert depths["c"] > depths["b"]
    assert depths["d"] == 0


def test_an_empty_course(logged_in_client, user):
    course = CourseFactory(user=user)
    body = logged_in_client.get(reverse("journey:course_overview", args=[course.pk])).content
    assert b"No topics yet" in body and b"No assessments yet" in body
