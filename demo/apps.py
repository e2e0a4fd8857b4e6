from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Development data only (``seed_demo``); no models, pages or tasks."""

    name = "demo"
    verbose_name = "Demo data (development only)"
