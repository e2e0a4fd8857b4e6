from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from annotation.services.audited_writes import Actor
from review.services.users import user_add, user_role_set

from .models import User


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    """People with the admin role manage users, whatever their Django permissions. A role is given only
    through the user services, so it is recorded and is_staff follows it; Django's own permission
    fields (staff, superuser, groups, permissions) are not editable here."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin_role

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False  # audit events reference users: deactivate instead

    list_display = ("username", "email", "role", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role and access", {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("is_staff", "is_superuser")
    filter_horizontal = ()
    add_fieldsets = UserAdmin.add_fieldsets + (("Role", {"fields": ("role",)}),)

    def save_model(self, request, obj, form, change):
        if not change:
            user_add(user=obj, by=Actor.person(request.user))
            return
        role, obj.role = obj.role, form.initial["role"]  # everything else is saved as usual, the role by its service
        super().save_model(request, obj, form, change)
        saved = user_role_set(user=obj, role=role, by=request.user)
        obj.role, obj.is_staff = saved.role, saved.is_staff
