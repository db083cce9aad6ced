"""The forecast fitted from the platform's own evidence: the fit service and command, the
weekly task, readiness from the fitted weights, the calibration plot and its admin."""

import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.tests.factories import UserFactory
from courses.models import Topic
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import engine
from mastery.forecasting import (
    calibration_for_stats,
    forecast_contexts,
    forecast_fit,
    forecast_weights,
)
from mastery.models import ForecastModel
from mastery.services import performance_record_create
from mastery.services.bulk import mastery_recompute_bulk
from mastery.tasks import fit_forecast

pytestmark = pytest.mark.django_db

START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
TOPIC_NAMES = ("Limits", "Derivatives", "Integrals")


def record(user, course, topic, correct, day, total=5):
    return performance_record_create(
        user=user,
        course=course,
        assessment=None,
        score=float(correct),
        max_score=float(total),
        time_spent_min=10,
        completed_at=START + timedelta(days=day),
        topic_breakdown={str(topic.pk): {"correct": correct, "total": total, "time_min": 5}},
        source="api",
    )


@pytest.fixture
def platform(django_capture_on_commit_callbacks):
    """Six students, each with their own copy of a three-topic course, eight quizzes a topic;
    stronger students and the easier topic get more right. The records are folded once per
    student by the bulk recompute (equal to folding each on arrival, which its own tests
    prove) rather than record by record with a replan after each."""
    rng = random.Random(14)
    students = []
    with django_capture_on_commit_callbacks(execute=False):
        for index in range(6):
            user = UserFactory(email=f"student{index}@example.org")
            course = CourseFactory(user=user)
            ability = index / 5
            for position, name in enumerate(TOPIC_NAMES):
                topic = TopicFactory(course=course, name=name)
                chance = min(0.95, 0.25 + 0.5 * ability + (0.2 if position == 0 else 0.0))
                for day in range(8):
                    correct = sum(rng.random() < chance for _ in range(5))
                    record(user, course, topic, correct, day * 3 + position)
            mastery_recompute_bulk(user=user)
            students.append(user)
    return students


def test_without_enough_evidence_the_defaults_stay():
    fit = forecast_fit()
    assert fit.model is None
    assert ForecastModel.objects.count() == 0
    assert forecast_weights() == engine.PREDICT_WEIGHTS


def test_a_fit_stores_a_new_version_with_metrics_and_calibration(platform):
    first = forecast_fit(min_rows=50)
    assert first.model is not None
    assert first.rows == 6 * 3 * 7  # every quiz after a topic's first
    assert first.model.version == 1
    assert first.model.feature_names == list(engine.PREDICT_FEATURE_NAMES)
    assert forecast_weights() == tuple(first.model.weights)
    metrics = first.model.metrics
    assert 0 < metrics["log_loss"] < 0.7
    assert sum(row["count"] for row in metrics["calibration"]) == first.rows
    # Stronger students answered more right: ability gets a positive weight.
    ability = engine.PREDICT_FEATURE_NAMES.index("learner_ability")
    assert first.model.weights[ability] > 0
    assert forecast_fit(min_rows=50).model.version == 2


def test_a_fit_for_other_features_is_ignored(platform):
    ForecastModel.objects.create(version=7, feature_names=["bias"], weights=[3.0], n=1)
    assert forecast_weights() == engine.PREDICT_WEIGHTS


def test_context_pools_other_students_by_topic_name_and_never_the_own_answers(platform):
    strongest, weakest = platform[-1], platform[0]
    topics = list(Topic.objects.filter(course__user=strongest))
    contexts = forecast_contexts(strongest, topics)
    weak_contexts = forecast_contexts(weakest, Topic.objects.filter(course__user=weakest))
    strong_ability = next(iter(contexts.values())).learner_ability
    weak_ability = next(iter(weak_contexts.values())).learner_ability
    assert strong_ability > weak_ability
    by_name = {t.name: contexts[str(t.pk)].topic_ease for t in topics}
    assert by_name["Limits"] > by_name["Integrals"]  # the easier topic, for everyone


def test_the_command_prints_json(platform):
    out = io.StringIO()
    call_command("fit_forecast", "--json", "--min-rows", "50", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["fitted"] is True
    assert payload["version"] == 1
    assert set(payload["weights"]) == set(engine.PREDICT_FEATURE_NAMES)
    assert "log_loss" in payload["metrics"]


def test_the_command_says_when_it_keeps_the_defaults():
    out = io.StringIO()
    call_command("fit_forecast", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload == {
        "fitted": False,
        "rows": 0,
        "reason": payload["reason"],
        "version": None,
        "weights": None,
        "metrics": None,
    }


def test_the_command_rejects_a_nonsense_minimum():
    with pytest.raises(CommandError):
        call_command("fit_forecast", "--min-rows", "0")


def test_the_weekly_task_fits(platform, settings):
    assert "mastery-fit-forecast" in settings.CELERY_BEAT_SCHEDULE
    result = fit_forecast.apply().get()
    assert result["rows"] == 6 * 3 * 7
    # 126 answers are below the default minimum of 200: the task keeps the defaults.
    assert result["version"] is None


def test_calibration_plot_is_csp_safe_svg(platform):
    forecast_fit(min_rows=50)
    plot = calibration_for_stats()
    svg = str(plot["svg"])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "style=" not in svg and "<script" not in svg
    assert svg.count('class="calibration-point"') == len(plot["bins"]) > 0


def test_the_stats_page_shows_the_calibration(platform, client):
    forecast_fit(min_rows=50)
    client.force_login(platform[0])
    body = client.get(reverse("scheduling:stats")).content.decode()
    assert "How far to trust the forecast" in body
    assert 'data-testid="forecast-calibration"' in body
    assert "Forecast version 1" in body


def test_the_stats_page_says_when_there_is_no_fit_yet(user, client):
    client.force_login(user)
    body = client.get(reverse("scheduling:stats")).content.decode()
    assert "not yet enough answers" in body


def test_the_admin_cannot_add_or_change_a_fit(platform, admin_client):
    forecast_fit(min_rows=50)
    model = ForecastModel.objects.get()
    assert admin_client.get(reverse("admin:mastery_forecastmodel_add")).status_code == 403
    page = admin_client.get(reverse("admin:mastery_forecastmodel_change", args=[model.pk]))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("admin:mastery_forecastmodel_change", args=[model.pk]), {"n": 1}
    )
    assert response.status_code == 403
    model.refresh_from_db()
    assert model.n == 6 * 3 * 7
