import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mabench_site.settings")

app = Celery("mabench_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
