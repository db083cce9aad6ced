"""Fit students' own FSRS parameters from their card reviews (the same service as the task)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from mastery.models import CardReview
from mastery.services.cards import card_parameters_fit


class Command(BaseCommand):
    help = "Fit each student's FSRS parameters from their flashcard reviews."

    def add_arguments(self, parser):
        parser.add_argument("--email", help="Only this student.")

    def handle(self, *args, email=None, **options):
        users = get_user_model().objects.filter(
            pk__in=CardReview.objects.values("user_id").distinct()
        )
        if email:
            users = users.filter(email=email)
        for user in users.order_by("pk"):
            fit = card_parameters_fit(user=user)
            state = "fitted" if fit.is_fitted else "kept defaults"
            self.stdout.write(f"{user.email}: {state} ({fit.review_count} long-term reviews)")
