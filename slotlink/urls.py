from django.conf import settings
from django.conf.urls.static import static
from django.contrib.auth import views as auth_views
from django.urls import include, path

from slotlink.accounts.forms import StaffLoginForm

urlpatterns = [
    # Patient pages first: Django tries patterns in order, and these are most of the traffic.
    # No staff path shares their first segment, so the order changes nothing else.
    path("", include("slotlink.portal.book_urls")),
    path("", include("slotlink.portal.manage_urls")),
    path("", include("slotlink.portal.forms_urls")),
    path("", include("slotlink.portal.help_urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=StaffLoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("slotlink.clinic.urls")),
    path("", include("slotlink.records.urls")),
    path("", include("slotlink.booking.urls")),
    path("", include("slotlink.questionnaires.urls")),
    path("", include("slotlink.messaging.urls")),
    path("", include("slotlink.clinic.audit_urls")),
    path("", include("slotlink.accounts.urls")),
    path("", include("slotlink.api.urls")),
    path("", include("slotlink.accounts.operator_urls")),
]
# Patients and staff share it: in the patient's language where one was chosen.
handler404 = "slotlink.portal.views.errors.not_found"

# Uploaded logos, in development only (static() adds nothing unless DEBUG is on); production
# serves MEDIA_ROOT from the web server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
