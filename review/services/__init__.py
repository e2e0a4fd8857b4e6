from .users import DEMO_USERS, demo_users_ensure, user_add, user_create, user_role_set

__all__ = ["DEMO_USERS", "demo_users_ensure", "user_add", "user_create", "user_role_set"]
