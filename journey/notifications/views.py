"""Pages of the notifications: the in-app list (htmx), marking read, the unread badge, and the
one-click unsubscribe that works without logging in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from journey.notifications.models import Notification
from journey.notifications.services import (
    NOTIFICATION_PAGE_SIZE,
    notification_mark_read,
    notifications_mark_all_read,
    unsubscribe_apply,
)
from journey.notifications.unsubscribe import unsubscribe_read

LIST_PARTIAL = "journey/includes/_notification_items.html"
BADGE_PARTIAL = "journey/includes/_notification_badge.html"


def list_context(user) -> dict:
    now = timezone.now()
    visible = Notification.objects.for_user(user).visible(now)
    return {
        "notifications": list(visible[:NOTIFICATION_PAGE_SIZE]),
        "unread_count": visible.unread().count(),
    }


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "journey/notification_list.html"

    def get_template_names(self):
        # htmx refreshes only the list (every minute, and after marking read).
        return [LIST_PARTIAL] if self.request.htmx else [self.template_name]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **list_context(self.request.user)}


class NotificationBadgeView(LoginRequiredMixin, View):
    """The unread count in the nav, loaded by htmx so other pages pay no query for it."""

    def get(self, request):
        count = Notification.objects.for_user(request.user).visible(timezone.now()).unread().count()
        return render(request, BADGE_PARTIAL, {"unread_count": count})


class NotificationReadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        try:
            notification_mark_read(user=request.user, notification_id=pk)
        except Notification.DoesNotExist:
            raise Http404("No such notification.") from None
        if request.htmx:
            return render(request, LIST_PARTIAL, list_context(request.user))
        return HttpResponseRedirect(reverse("journey:notifications"))


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        notifications_mark_all_read(user=request.user)
        if request.htmx:
            return render(request, LIST_PARTIAL, list_context(request.user))
        return HttpResponseRedirect(reverse("journey:notifications"))


@method_decorator(csrf_exempt, name="dispatch")
class UnsubscribeView(View):
    """GET shows a button (a link scanner following GET must not unsubscribe anyone); POST
    applies it, from that button or from a mail client's one-click (RFC 8058), with no login
    and no CSRF token: the signed token is the authority, and it can only switch one kind of
    notification off."""

    template_name = "journey/unsubscribe.html"

    def get(self, request, token):
        request_ = unsubscribe_read(token)
        if request_ is None:
            return render(request, self.template_name, {"is_invalid": True}, status=400)
        return render(request, self.template_name, {"kind_label": request_.kind.label})

    def post(self, request, token):
        label = unsubscribe_apply(token=token)
        if label is None:
            return render(request, self.template_name, {"is_invalid": True}, status=400)
        if request.user.is_authenticated:
            messages.success(request, f"{label} emails are off.")
        return render(request, self.template_name, {"kind_label": label, "is_done": True})
