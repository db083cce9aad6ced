from django.apps import AppConfig


class PlannerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planner"

    def ready(self) -> None:
        from celery.signals import before_task_publish, task_postrun, task_prerun

        from planner import middleware

        # A task enqueued by a request logs under that request's id.
        before_task_publish.connect(
            middleware.add_request_id_header, weak=False, dispatch_uid="planner.request_id_out"
        )
        task_prerun.connect(
            middleware.bind_task_request_id, weak=False, dispatch_uid="planner.request_id_in"
        )
        task_postrun.connect(
            middleware.clear_task_request_id, weak=False, dispatch_uid="planner.request_id_done"
        )
