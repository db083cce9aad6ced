"""`manage.py evaluate_mastery FILE [--json] [--revlog | --format csv|revlog|dkt] [--holdout 0.3]
[--refit]`."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mastery import evaluation


class Command(BaseCommand):
    help = (
        "Replay a response log through the mastery engine and report log loss, RMSE, AUC and "
        "calibration on the held-out tail of every sequence, against simple baselines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV: user_id,skill_name,correct[,timestamp]")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--revlog",
            action="store_true",
            help="the file is an Anki review log (card_id,review_rating,review_time,...)",
        )
        parser.add_argument(
            "--format",
            choices=evaluation.FORMATS,
            default="csv",
            help="csv (default), revlog (same as --revlog) or dkt (the Deep Knowledge "
            "Tracing code's three-line blocks: count, skill ids, 0/1 outcomes)",
        )
        parser.add_argument(
            "--holdout",
            type=float,
            default=evaluation.DEFAULT_HOLDOUT,
            help="share of each sequence's last responses that is scored (default 0.3)",
        )
        parser.add_argument(
            "--refit",
            action="store_true",
            help="refit the engine's prediction weights on this file's training portion",
        )

    def handle(self, *args: object, **options: object) -> None:
        holdout = float(options["holdout"])  # type: ignore[arg-type]
        if not 0.0 < holdout <= 1.0:
            raise CommandError("--holdout must be in (0, 1]")
        try:
            responses, has_timestamps = evaluation.load_responses(
                str(options["path"]),
                revlog=bool(options["revlog"]),
                format=str(options["format"]),
            )
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"cannot read {options['path']}: {error}") from error
        report = evaluation.evaluate(
            responses,
            holdout=holdout,
            has_timestamps=has_timestamps,
            refit=bool(options["refit"]),
        )
        if options["json"]:
            self.stdout.write(json.dumps(evaluation.report_to_dict(report)))
        else:
            self.stdout.write(evaluation.format_report(report))
