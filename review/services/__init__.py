from .users import user_add, user_create, user_role_set

__all__ = ["user_add", "user_create", "user_role_set"]
