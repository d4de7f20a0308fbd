"""The review service as a Django application."""

from django.apps import AppConfig


class ServeConfig(AppConfig):
    name = "earlysignal.serve"
    label = "review"
    verbose_name = "Practitioner review"
    default_auto_field = "django.db.models.BigAutoField"
