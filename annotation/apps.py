from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = "Benchmark content"

    def ready(self):
        from annotation.selectors.datasheet_sections import ANNOTATION_SECTIONS
        from annotation.services.datasheets import datasheet_sections_add

        datasheet_sections_add(ANNOTATION_SECTIONS)
