from django.urls import path

from slotlink.portal.views import manage

app_name = "manage"
urlpatterns = [
    path("m/<str:token>", manage.enter, name="enter"),
    path("manage/verify/", manage.verify, name="verify"),
    path("manage/code/", manage.code, name="code"),
    path("manage/", manage.home, name="home"),
    path("manage/appointment.ics", manage.calendar, name="calendar"),
    path("manage/change/", manage.times, name="times"),
    path("manage/change/choose/", manage.choose, name="choose"),
    path("manage/change/review/", manage.review, name="review"),
    path("manage/change/confirm/", manage.confirm, name="confirm"),
    path("manage/change/<str:iso_day>/", manage.day, name="day"),
    path("manage/cancel/", manage.cancel, name="cancel"),
]
