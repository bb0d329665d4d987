"""Admin-configured rows carry their own Russian label; the active language picks one."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(text: str, text_ru: str, language: str) -> str:
    """The Russian variant when the language is Russian and a variant was written, else the default."""
    return text_ru if text_ru and language.startswith("ru") else text


class Bilingual(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        if self.name_ru and (get_language() or "").startswith("ru"):
            return self.name_ru
        return self.name

    def __str__(self) -> str:
        return self.label
