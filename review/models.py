from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person using the tool. The role decides what they may see and do."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        REVIEWER = "reviewer", "Reviewer (may adjudicate)"
        ANNOTATOR = "annotator", "Annotator"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def may_browse_content(self) -> bool:
        """Admins and reviewers see whole benchmarks, answer keys included."""
        return self.is_admin_role or self.role == self.Role.REVIEWER
