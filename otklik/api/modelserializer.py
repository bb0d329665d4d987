"""DRF's ModelSerializer with each model field's class and arguments worked out once per serializer class.

DRF builds a ModelSerializer's fields anew for every instance: for each model field it inspects the model
(`get_field_kwargs`: validators, labels compared in the active language, unique checks), and a ticket answer
nests eight such serializers, so that inspection was about a tenth of an API create's CPU (issue #16). The
inspection depends only on the serializer class, the model and the active language (labels and error
messages are evaluated in it), so its result is kept under those; every instance still gets fresh field
objects made from a copy of the arguments, as DRF makes them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.utils.model_meta import FieldInfo

_BUILT: dict[tuple[type[Any], str, int, str | None], tuple[type[Field[Any, Any, Any, Any]], dict[str, Any]]] = {}


class ModelSerializer[M: models.Model](serializers.ModelSerializer[M]):
    def build_field(
        self, field_name: str, info: FieldInfo, model_class: type[M], nested_depth: int
    ) -> tuple[type[Field[Any, Any, Any, Any]], dict[str, Any]]:
        key = (type(self), field_name, nested_depth, get_language())
        built = _BUILT.get(key)
        if built is None:
            built = _BUILT[key] = super().build_field(field_name, info, model_class, nested_depth)
        field_class, kwargs = built
        # A copy: `include_extra_kwargs` and the fields' own __init__ pop from the arguments they are given.
        return field_class, dict(kwargs)
