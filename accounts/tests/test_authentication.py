"""The Bearer token authentication on its own, then through a real endpoint."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.authentication import LAST_USED_RESOLUTION_SECONDS, ApiTokenAuthentication
from accounts.services import api_token_create
from accounts.tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

KEY = "known-raw-key-for-tests-0123456789abcdef"


class WhoAmI(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"email": request.user.email, "token": str(request.auth.pk)})


def call(authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    request = APIRequestFactory().get("/whoami", **headers)
    return WhoAmI.as_view()(request)


def test_valid_token_authenticates_its_owner(user):
    token = ApiTokenFactory(user=user, raw_key=KEY)
    response = call(f"Bearer {KEY}")
    assert response.status_code == 200
    assert response.data == {"email": user.email, "token": str(token.pk)}


def test_token_made_by_the_service_authenticates(user):
    _, raw_key = api_token_create(user=user, name="cli")
    assert call(f"Bearer {raw_key}").status_code == 200


@pytest.mark.parametrize(
    "state",
    [
        {"expires_at": timezone.now() - timedelta(seconds=1)},
        {"revoked_at": timezone.now()},
    ],
    ids=["expired", "revoked"],
)
def test_expired_or_revoked_token_is_401(user, state):
    ApiTokenFactory(user=user, raw_key=KEY, **state)
    response = call(f"Bearer {KEY}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", [f"Bearer {KEY}x", "Bearer", f"Bearer {KEY} extra", "Bearer wrong"]
)
def test_wrong_or_malformed_key_is_401(user, header):
    ApiTokenFactory(user=user, raw_key=KEY)
    assert call(header).status_code == 401


def test_token_of_inactive_user_is_401(user):
    ApiTokenFactory(user=user, raw_key=KEY)
    user.is_active = False
    user.save()
    assert call(f"Bearer {KEY}").status_code == 401


def test_no_header_is_401_not_authenticated(user):
    response = call(None)
    assert response.status_code == 401


def test_other_schemes_are_left_to_other_authenticators(user):
    ApiTokenFactory(user=user, raw_key=KEY)
    assert call(f"Token {KEY}").status_code == 401
    assert (
        ApiTokenAuthentication().authenticate(
            APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Basic {KEY}")
        )
        is None
    )


def test_last_used_at_recorded_and_throttled(user):
    token = ApiTokenFactory(user=user, raw_key=KEY)
    with time_machine.travel("2025-04-01T10:00:00+00:00", tick=False):
        call(f"Bearer {KEY}")
        token.refresh_from_db()
        first_use = token.last_used_at
        assert first_use == timezone.now()
    with time_machine.travel("2025-04-01T10:00:30+00:00", tick=False):
        call(f"Bearer {KEY}")
        token.refresh_from_db()
        assert token.last_used_at == first_use
    with time_machine.travel(
        first_use + timedelta(seconds=LAST_USED_RESOLUTION_SECONDS + 1), tick=False
    ):
        call(f"Bearer {KEY}")
        token.refresh_from_db()
        assert token.last_used_at == timezone.now()


def test_bearer_token_works_on_the_real_api(user, other_user):
    ApiTokenFactory(user=user, raw_key=KEY)
    client = APIClient()
    response = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {KEY}")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_bad_bearer_token_is_refused_on_the_real_api(user):
    ApiTokenFactory(user=user, raw_key=KEY, revoked_at=timezone.now())
    response = APIClient().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Bearer {KEY}")
    # 401 when the token scheme is listed first in settings, 403 when session auth is.
    assert response.status_code in {401, 403}
