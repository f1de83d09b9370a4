from django.urls import path

from slotlink.booking.invitations import views as invitations
from slotlink.booking.links import views as links
from slotlink.booking.reports import views as reports
from slotlink.booking.rules import views as rules

app_name = "booking"
urlpatterns = [
    # Staff: a patient's links
    path("patients/<int:pk>/care-pathway/", links.care_pathway, name="care_pathway"),
    path("patients/<int:pk>/booking-links/", links.send_link, name="send_link"),
    path("booking-links/<int:pk>/expire/", links.expire_link, name="expire_link"),
    path("booking-links/<int:pk>/resend/", links.resend_link, name="resend_link"),
    path("booking-links/<int:pk>/history/", links.link_history, name="link_history"),
    # Superusers: broadcast rules
    path("settings/rules/", rules.rule_list, name="rule_list"),
    path("settings/rules/new/", rules.rule_create, name="rule_create"),
    path("settings/rules/preview/", rules.rule_preview_fragment, name="rule_preview"),
    path("settings/rules/sms-length/", rules.rule_sms_fragment, name="rule_sms"),
    path("settings/rules/<int:pk>/", rules.rule_edit, name="rule_edit"),
    path("settings/rules/<int:pk>/duplicate/", rules.rule_duplicate, name="rule_duplicate"),
    path("settings/rules/<int:pk>/active/", rules.rule_set_active, name="rule_set_active"),
    path("settings/rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
    # Admins and superusers: bulk invitations and the dashboard
    path("bulk-invitations/", invitations.bulk_list, name="bulk_list"),
    path("bulk-invitations/upload/", invitations.bulk_upload, name="bulk_upload"),
    path("bulk-invitations/selection/", invitations.bulk_selection, name="bulk_selection"),
    path("bulk-invitations/<int:pk>/", invitations.bulk_detail, name="bulk_detail"),
    path("bulk-invitations/<int:pk>/confirm/", invitations.bulk_confirm, name="bulk_confirm"),
    path("bulk-invitations/<int:pk>/discard/", invitations.bulk_discard, name="bulk_discard"),
    path("dashboard/", reports.dashboard, name="dashboard"),
]
