"""Backfill: refold every topic's mastery from the evidence, for one user or everyone."""

from django.core.management.base import BaseCommand

from accounts.commands import users_for_option
from mastery.services import mastery_recompute_user


class Command(BaseCommand):
    help = "Recompute mastery from all evidence (idempotent). --user EMAIL limits it to one user."

    def add_arguments(self, parser):
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's topics.")

    def handle(self, *args, **options):
        users = users_for_option(options["user"])
        total_moved = 0
        for user in users.iterator():
            moved = mastery_recompute_user(user=user)
            total_moved += len(moved)
            self.stdout.write(f"{user.email}: mastery moved on {len(moved)} topic(s)")
        self.stdout.write(self.style.SUCCESS(f"Done; mastery moved on {total_moved} topic(s)."))
