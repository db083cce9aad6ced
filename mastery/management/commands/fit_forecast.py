"""`manage.py fit_forecast [--json] [--min-rows N]`: fit the forecast on the platform's evidence."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mastery import engine
from mastery.forecasting import forecast_fit


class Command(BaseCommand):
    help = (
        "Fit the mastery forecast's weights on every learner's observations and store them "
        "as a new ForecastModel version (the defaults stay until there is enough evidence)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--min-rows",
            type=int,
            default=engine.MIN_FIT_ROWS,
            help=f"answers with history needed to fit (default {engine.MIN_FIT_ROWS})",
        )

    def handle(self, *args: object, **options: object) -> None:
        min_rows = int(options["min_rows"])  # type: ignore[arg-type]
        if min_rows < 1:
            raise CommandError("--min-rows must be at least 1")
        fit = forecast_fit(min_rows=min_rows)
        model = fit.model
        result = {
            "fitted": model is not None,
            "rows": fit.rows,
            "reason": fit.reason,
            "version": model.version if model else None,
            "weights": dict(zip(model.feature_names, model.weights, strict=True))
            if model
            else None,
            "metrics": {k: v for k, v in model.metrics.items() if k != "calibration"}
            if model
            else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        elif model:
            self.stdout.write(f"forecast v{model.version} fitted on {fit.rows} answers")
        else:
            self.stdout.write(f"kept the current forecast: {fit.reason}")
