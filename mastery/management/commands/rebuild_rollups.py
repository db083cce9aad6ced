"""Rebuild the daily mastery rollups (the stats page's chart) from the mastery history."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mastery.services.rollups import course_mastery_days_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the daily mastery rollups from the history (idempotent). --user EMAIL limits it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's rollups.")

    def handle(self, *args, **options):
        users = get_user_model().objects.order_by("email")
        if options["user"]:
            users = users.filter(email__iexact=options["user"].strip())
            if not users.exists():
                raise CommandError(f"No user with email {options['user']}.")
        total = 0
        for user in users.iterator():
            written = course_mastery_days_rebuild(user=user)
            total += written
            self.stdout.write(f"{user.email}: {written} rollup row(s) written")
        self.stdout.write(self.style.SUCCESS(f"Done; {total} rollup row(s) written."))
