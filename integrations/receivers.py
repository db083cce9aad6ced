"""How integrations react to events from the layers below: each receiver only records and
enqueues."""

from django.dispatch import receiver

from integrations import services
from scheduling.signals import plan_changed


@receiver(plan_changed, dispatch_uid="integrations.plan_changed")
def on_plan_changed(sender, *, user_id, created=(), moved=(), deleted=(), **kwargs) -> None:
    # plan_changed is sent on commit, so the outbox rows get their own transaction here; the
    # beat sweep resends them if the enqueue below is lost.
    services.outbox_record_plan_change(
        user_id=user_id, created=created, moved=moved, deleted=deleted
    )
