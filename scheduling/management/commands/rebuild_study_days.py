"""Recount the streak's study days (scheduling.streaks) from the history."""

from django.core.management.base import BaseCommand

from accounts.commands import users_for_option
from scheduling.streaks import study_days_rebuild


class Command(BaseCommand):
    help = "Recount each student's study days from the history (idempotent); --user EMAIL: one."

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's days.")

    def handle(self, *args, **options):
        users = users_for_option(options["user"])
        for user in users.iterator():
            days = study_days_rebuild(user=user)
            self.stdout.write(f"{user.email}: {len(days)} study day(s)")
        self.stdout.write(self.style.SUCCESS("Done."))
