"""What every classes API view shares: the documented error answers, the teacher gate, and
the two shapes most teacher endpoints take (change or remove one object, create one under a
parent), so each endpoint only names its model, serializers and service."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import is_teacher

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_400 = OpenApiResponse(ERROR_SCHEMA, description="Invalid input, with field errors.")
ERROR_404 = OpenApiResponse(
    ERROR_SCHEMA, description="Not found: another user's object, or not a teacher."
)
AUTH_ERRORS = {
    401: OpenApiResponse(ERROR_SCHEMA, description="Not authenticated."),
    403: OpenApiResponse(ERROR_SCHEMA, description="Not allowed."),
}
OBJECT_ERRORS = {**AUTH_ERRORS, 404: ERROR_404}


# The API schema takes a view's docstring (inherited ones too) as the operation's description,
# so the bases below explain themselves in comments.


# Teacher endpoints do not exist for anyone else: a 404, so the role is not advertised.
class TeacherApiMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_teacher(request.user):
            raise Http404


# The object named in the URL is fetched through the model's `for_user`, so another teacher's
# object is a 404 like a missing one. A subclass that names its serializers has its schema drawn
# from them when it is declared (`method_schemas`), so the documentation cannot drift from what
# the view validates and answers.
class TeacherObjectLookupApi(TeacherApiMixin, APIView):
    model: ClassVar[type[Model]]
    lookup_url_kwarg: ClassVar[str]
    related_fields: ClassVar[tuple[str, ...]] = ()
    prefetched_fields: ClassVar[tuple[str, ...]] = ()
    input_serializer: ClassVar[type[serializers.Serializer] | None] = None
    output_serializer: ClassVar[type[serializers.Serializer]]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.input_serializer is not None:
            extend_schema_view(**cls.method_schemas())(cls)

    @classmethod
    def method_schemas(cls) -> dict:
        return {}

    def get_queryset(self):
        return (
            self.model.objects.for_user(self.request.user)
            .select_related(*self.related_fields)
            .prefetch_related(*self.prefetched_fields)
        )

    def get_object(self) -> Any:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_url_kwarg])

    def validated_input(self, *, partial: bool = False) -> dict:
        serializer = self.input_serializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# PATCH changes the object through its service and answers with it; DELETE removes it through
# its service.
class TeacherObjectApi(TeacherObjectLookupApi):
    delete_description: ClassVar[str | None] = None

    @classmethod
    def method_schemas(cls) -> dict:
        return {
            "patch": extend_schema(
                request=cls.input_serializer,
                responses={200: cls.output_serializer, 400: ERROR_400, **OBJECT_ERRORS},
            ),
            "delete": extend_schema(
                responses={204: None, **OBJECT_ERRORS}, description=cls.delete_description
            ),
        }

    def change(self, obj, data: dict) -> Any:
        raise NotImplementedError

    def remove(self, obj) -> None:
        raise NotImplementedError

    def output_data(self, obj) -> dict:
        return self.output_serializer(obj).data

    def patch(self, request, **kwargs):
        obj = self.get_object()
        return Response(self.output_data(self.change(obj, self.validated_input(partial=True))))

    def delete(self, request, **kwargs):
        self.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# POST creates an object under the parent named in the URL (a topic under a template, a
# resource under a topic) through its service, and answers 201 with it.
class TeacherChildCreateApi(TeacherObjectLookupApi):
    @classmethod
    def method_schemas(cls) -> dict:
        return {
            "post": extend_schema(
                request=cls.input_serializer,
                responses={201: cls.output_serializer, 400: ERROR_400, **OBJECT_ERRORS},
            )
        }

    def create(self, parent, data: dict) -> Any:
        raise NotImplementedError

    def post(self, request, **kwargs):
        parent = self.get_object()
        created = self.create(parent, self.validated_input())
        return Response(self.output_serializer(created).data, status=status.HTTP_201_CREATED)
