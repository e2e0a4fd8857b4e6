from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self):
        # Review sits above annotation: it adds its datasheet sections; annotation never imports review.
        from annotation.services.datasheets import datasheet_sections_add
        from review.selectors.datasheet_sections import REVIEW_SECTIONS

        datasheet_sections_add(REVIEW_SECTIONS)
