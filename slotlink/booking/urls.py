from django.urls import path

from slotlink.booking import bulk, dashboard, portal, rule_views, staff_views

app_name = "booking"
urlpatterns = [
    # Staff
    path("patients/<int:pk>/care-pathway/", staff_views.care_pathway, name="care_pathway"),
    path("patients/<int:pk>/booking-links/", staff_views.send_link, name="send_link"),
    path("booking-links/<int:pk>/expire/", staff_views.expire_link, name="expire_link"),
    path("booking-links/<int:pk>/resend/", staff_views.resend_link, name="resend_link"),
    path("booking-links/<int:pk>/history/", staff_views.link_history, name="link_history"),
    # Superusers: broadcast rules
    path("settings/rules/", rule_views.rule_list, name="rule_list"),
    path("settings/rules/new/", rule_views.rule_create, name="rule_create"),
    path("settings/rules/preview/", rule_views.rule_preview_fragment, name="rule_preview"),
    path("settings/rules/sms-length/", rule_views.rule_sms_fragment, name="rule_sms"),
    path("settings/rules/<int:pk>/", rule_views.rule_edit, name="rule_edit"),
    path("settings/rules/<int:pk>/duplicate/", rule_views.rule_duplicate, name="rule_duplicate"),
    path("settings/rules/<int:pk>/active/", rule_views.rule_set_active, name="rule_set_active"),
    path("settings/rules/<int:pk>/delete/", rule_views.rule_delete, name="rule_delete"),
    # Admins and superusers: bulk invitations and the dashboard
    path("bulk-invitations/", bulk.bulk_list, name="bulk_list"),
    path("bulk-invitations/upload/", bulk.bulk_upload, name="bulk_upload"),
    path("bulk-invitations/selection/", bulk.bulk_selection, name="bulk_selection"),
    path("bulk-invitations/<int:pk>/", bulk.bulk_detail, name="bulk_detail"),
    path("bulk-invitations/<int:pk>/confirm/", bulk.bulk_confirm, name="bulk_confirm"),
    path("bulk-invitations/<int:pk>/discard/", bulk.bulk_discard, name="bulk_discard"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    # Patients: the short /b/ path keeps the SMS short.
    path("b/<str:token>", portal.enter, name="enter"),
    path("book/", portal.welcome, name="welcome"),
    path("book/times/", portal.times, name="times"),
    path("book/times/<str:iso_day>/", portal.day, name="day"),
    path("book/choose/", portal.choose, name="choose"),
    path("book/review/", portal.review, name="review"),
    path("book/confirm/", portal.confirm, name="confirm"),
    path("book/booked/", portal.booked, name="booked"),
    path("leave/", portal.leave, name="leave"),
]
