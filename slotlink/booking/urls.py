from django.urls import path

from slotlink.booking import portal, staff_views

app_name = "booking"
urlpatterns = [
    # Staff
    path("patients/<int:pk>/care-pathway/", staff_views.care_pathway, name="care_pathway"),
    path("patients/<int:pk>/booking-links/", staff_views.send_link, name="send_link"),
    path("booking-links/<int:pk>/expire/", staff_views.expire_link, name="expire_link"),
    path("booking-links/<int:pk>/history/", staff_views.link_history, name="link_history"),
    # Patients: the short /b/ path keeps the SMS short.
    path("b/<str:token>", portal.enter, name="enter"),
    path("book/", portal.welcome, name="welcome"),
    path("book/times/", portal.times, name="times"),
    path("book/times/<str:iso_day>/", portal.day, name="day"),
    path("book/choose/", portal.choose, name="choose"),
    path("book/review/", portal.review, name="review"),
    path("book/confirm/", portal.confirm, name="confirm"),
    path("book/booked/", portal.booked, name="booked"),
]
