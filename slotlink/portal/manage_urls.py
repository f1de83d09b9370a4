from django.urls import path

from slotlink.booking import manage_portal

app_name = "manage"
urlpatterns = [
    path("m/<str:token>", manage_portal.enter, name="enter"),
    path("manage/verify/", manage_portal.verify, name="verify"),
    path("manage/code/", manage_portal.code, name="code"),
    path("manage/", manage_portal.home, name="home"),
    path("manage/appointment.ics", manage_portal.calendar, name="calendar"),
    path("manage/change/", manage_portal.times, name="times"),
    path("manage/change/choose/", manage_portal.choose, name="choose"),
    path("manage/change/review/", manage_portal.review, name="review"),
    path("manage/change/confirm/", manage_portal.confirm, name="confirm"),
    path("manage/change/<str:iso_day>/", manage_portal.day, name="day"),
    path("manage/cancel/", manage_portal.cancel, name="cancel"),
]
