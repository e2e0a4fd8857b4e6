from .users import DEMO_USERS, demo_users_ensure, user_create

__all__ = ["DEMO_USERS", "demo_users_ensure", "user_create"]
