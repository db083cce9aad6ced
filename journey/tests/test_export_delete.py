"""Data ownership: the JSON export holds everything a student owns and no secrets; deleting
the account revokes the integrations and leaves no row of theirs, and nobody else's changes."""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import api_token_create
from integrations.models import IntegrationSettings, OAuthState, OutboxEntry
from integrations.tests.factories import CalendarBlockFactory, NotionTaskFactory
from journey import exports, onboarding
from journey.classes import services as class_services
from journey.course_overview import resource_completion_set, resource_key
from journey.tests.class_factories import make_class, make_teacher
from mastery import quiz_services
from mastery.grades import grade_target_set
from mastery.models import QuizAttempt
from mastery.tests.factories import PerformanceRecordFactory
from scheduling import services as scheduling_services
from scheduling.models import StudyTask

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

PASSWORD = "correct horse battery staple"
GOOGLE_REFRESH = "google-refresh-secret"
NOTION_TOKEN = "notion-secret-token"

# How a row can point at its student, independent of the code under test.
OWNER_LOOKUPS = (
    "user",
    "student",
    "course__user",
    "topic__course__user",
    "assessment__course__user",
    "attempt__user",
)


def _owned_rows(model, user, **filters):
    """The model's rows the user owns, by the first owner lookup that fits the model (a
    template resource's `topic` is a template topic, not a course's)."""
    names = {f.name for f in model._meta.get_fields()}
    for lookup in OWNER_LOOKUPS:
        if lookup.split("__")[0] in names:
            try:
                return model._default_manager.filter(**filters, **{lookup: user.pk})
            except FieldError:
                continue
    return None


def give_everything(user, django_capture_on_commit_callbacks):
    """A student with a row in every app: courses, evidence, quizzes, plan, tokens, links."""
    user.set_password(PASSWORD)
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        course = onboarding.course_template_apply(user=user, code="CHEM 1411")
        topic = course.topics.order_by("order_index").first()
        PerformanceRecordFactory(course=course, user=user, topic_breakdown={})
        attempt = quiz_services.diagnostic_start(user=user, course=course)
        scheduling_services.plan_regenerate(user=user, reason="test")
        scheduling_services.checkin_submit(user=user, difficulty=3, time_burden=2, note="ok")
    api_token_create(user=user, name="script")
    scheduling_services.calendar_feed_rotate(user=user)
    IntegrationSettings.objects.create(
        user=user,
        google_calendar_enabled=True,
        google_refresh_token=GOOGLE_REFRESH,
        notion_enabled=True,
        notion_access_token=NOTION_TOKEN,
        notion_data_source_id="ds",
    )
    OAuthState.objects.create(user=user, provider="google", state=f"s-{user.pk}", code_verifier="v")
    task = StudyTask.objects.filter(user=user).first()
    CalendarBlockFactory(study_task=task)
    NotionTaskFactory(study_task=StudyTask.objects.filter(user=user).last())
    OutboxEntry.objects.create(
        user=user, provider="google", study_task_id=str(task.pk), action="upsert"
    )
    onboarding.onboarding_step_complete(user=user, step="profile")
    grade_target_set(user=user, course=course, target_percent=90)
    resource_completion_set(
        user=user, topic=topic, key=resource_key(topic.resource_links[0]["url"]), is_done=True
    )
    classroom = make_class(make_teacher(f"teacher-{user.pk}@example.org"))
    class_services.class_join(student=user, join_code=classroom.join_code, has_consented=True)
    assert QuizAttempt.objects.filter(pk=attempt.pk).exists()
    return course


def owned_counts(user) -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        if model is get_user_model():
            counts[model._meta.label] = model.objects.filter(pk=user.pk).count()
            continue
        rows = _owned_rows(model, user)
        if rows is not None:
            counts[model._meta.label] = rows.count()
    return counts


@pytest.fixture
def revoked(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "integrations.google.client.revoke_token", lambda token, *a, **k: calls.append(token)
    )
    return calls


def test_the_export_holds_every_owned_table_and_no_secrets(
    logged_in_client, user, django_capture_on_commit_callbacks
):
    give_everything(user, django_capture_on_commit_callbacks)
    logged_in_client.force_login(user)  # a new password ends the old session
    response = logged_in_client.get(reverse("journey:data_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    payload = json.loads(text)
    tables = payload["tables"]
    for label, count in owned_counts(user).items():
        if count and not label.startswith(("admin.", "integrations.OAuthState")):
            assert label in tables, label
    assert {"courses.Course", "mastery.PerformanceRecord", "scheduling.StudyTask"} <= set(tables)
    assert tables["accounts.User"][0]["email"] == user.email
    [membership] = payload["class_memberships"]
    assert membership["teacher"] == "Grace Teacher" and membership["share_progress"] is True
    assert [change["share_progress"] for change in membership["consent_history"]] == [True]
    assert "courses.ClassMembership" in tables
    for secret in (GOOGLE_REFRESH, NOTION_TOKEN, user.password):
        assert secret not in text
    assert "key_hash" not in text and "token_hash" not in text and '"password"' not in text


def test_the_export_holds_nothing_of_another_student(
    logged_in_client, user, other_user, django_capture_on_commit_callbacks
):
    give_everything(other_user, django_capture_on_commit_callbacks)
    payload = exports.user_data_export(user=user)
    assert str(other_user.pk) not in json.dumps(payload, cls=exports.EXPORT_ENCODER)


def test_deleting_removes_every_row_and_revokes_integrations(
    client, user, other_user, revoked, django_capture_on_commit_callbacks
):
    give_everything(user, django_capture_on_commit_callbacks)
    give_everything(other_user, django_capture_on_commit_callbacks)
    others_before = owned_counts(other_user)
    client.force_login(user)
    history_models = [m for m in apps.get_models() if m.__name__.startswith("Historical")]
    tracked_ids = {
        model: set(
            model.instance_type._default_manager.filter(
                pk__in=model._default_manager.values_list(model.instance_type._meta.pk.attname)
            ).values_list("pk", flat=True)
        )
        for model in history_models
    }
    own_ids = {
        model: {pk for pk in ids if owned_counts_for_object(model.instance_type, pk, user)}
        for model, ids in tracked_ids.items()
    }
    response = client.post(
        reverse("journey:account_delete"), {"password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    assert response.url == reverse("journey:account_deleted")
    assert revoked == [GOOGLE_REFRESH]
    assert all(count == 0 for count in owned_counts(user).values()), owned_counts(user)
    # The audit trail is retained by design: its rows lose the user (SET_NULL) and keep only
    # the id snapshot, so the account's deletion itself stays on record.
    assert AuditEvent.objects.filter(user_id_snapshot=user.pk, action="account_deleted").exists()
    for model, ids in own_ids.items():
        id_field = model.instance_type._meta.pk.attname
        assert not model._default_manager.filter(**{f"{id_field}__in": ids}).exists(), model
    assert owned_counts(other_user) == others_before
    assert IntegrationSettings.objects.get(user=other_user).google_refresh_token == GOOGLE_REFRESH
    # The session is gone too.
    assert client.get("/").status_code == 302


def owned_counts_for_object(model, pk, user) -> bool:
    rows = _owned_rows(model, user, pk=pk)
    return rows is not None and rows.exists()


def test_a_wrong_password_deletes_nothing(logged_in_client, user, revoked):
    user.set_password(PASSWORD)
    user.save()
    logged_in_client.force_login(user)
    response = logged_in_client.post(
        reverse("journey:account_delete"), {"password": "wrong", "confirm": "on"}
    )
    assert response.status_code == 400
    assert "id_password_error" in response.content.decode()
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert revoked == []


def test_deleting_needs_the_confirmation_box(logged_in_client, user):
    user.set_password(PASSWORD)
    user.save()
    logged_in_client.force_login(user)
    response = logged_in_client.post(reverse("journey:account_delete"), {"password": PASSWORD})
    assert response.status_code == 400
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_the_pages_need_a_login(client):
    for name in ("journey:data_settings", "journey:data_export", "journey:account_delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_settings_page_offers_export_and_delete(logged_in_client):
    body = logged_in_client.get(reverse("journey:data_settings")).content.decode()
    assert reverse("journey:data_export") in body and reverse("journey:account_delete") in body


def test_owner_paths_reach_the_user_through_relations():
    from courses.models import AssessmentTopic
    from mastery.models import AttemptQuestion

    assert exports.owner_path(AssessmentTopic) == "assessment__course__user"
    assert exports.owner_path(AttemptQuestion) == "attempt__user"
    assert exports.owner_path(get_user_model()) == "pk"


def test_the_export_leaves_out_the_second_factor_and_deletion_removes_addresses(user):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    seed = RecoveryCodes.activate(user).instance.data["seed"]
    text = json.dumps(exports.user_data_export(user=user), cls=exports.EXPORT_ENCODER)
    # The rows are listed (the student sees a second factor exists), their secrets are not.
    assert "mfa.Authenticator" in json.loads(text)["tables"]
    assert secret not in text and seed not in text
    assert "account.EmailAddress" in json.loads(text)["tables"]

    user.set_password(PASSWORD)
    user.save()
    exports.account_delete(user=user, password=PASSWORD)
    assert not EmailAddress.objects.filter(email__iexact="ada@example.org").exists()
    assert not Authenticator.objects.filter(user_id=user.pk).exists()
