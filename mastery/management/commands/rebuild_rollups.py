"""Rebuild the daily mastery rollups (the stats page's chart) from the mastery history."""

from django.core.management.base import BaseCommand

from accounts.commands import users_for_option
from mastery.services.rollups import course_mastery_days_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the daily mastery rollups from the history (idempotent). --user EMAIL limits it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's rollups.")

    def handle(self, *args, **options):
        users = users_for_option(options["user"])
        total = 0
        for user in users.iterator():
            written = course_mastery_days_rebuild(user=user)
            total += written
            self.stdout.write(f"{user.email}: {written} rollup row(s) written")
        self.stdout.write(self.style.SUCCESS(f"Done; {total} rollup row(s) written."))
