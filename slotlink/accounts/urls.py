from django.urls import path

from slotlink.accounts import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("account/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    # The link in an invitation: the short /s/ path, redacted from logs like /b/ and /m/.
    path("s/<str:token>", views.set_password_enter, name="set_password_enter"),
    path("account/set-password/", views.set_password, name="set_password"),
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_add, name="staff_add"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/deactivate/", staff_views.staff_deactivate_view, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff_views.staff_reactivate_view, name="staff_reactivate"),
    path(
        "staff/<int:pk>/two-factor-reset/",
        staff_views.staff_two_factor_reset_view,
        name="staff_two_factor_reset",
    ),
    path("staff/<int:pk>/unlock/", staff_views.staff_unlock_view, name="staff_unlock"),
    path(
        "staff/<int:pk>/password-link/",
        staff_views.staff_password_link_view,
        name="staff_password_link",
    ),
]
