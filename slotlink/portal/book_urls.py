from django.urls import path

from slotlink.portal.views import book

app_name = "book"
urlpatterns = [
    # The short /b/ path keeps the SMS short.
    path("b/<str:token>", book.enter, name="enter"),
    path("book/", book.welcome, name="welcome"),
    path("book/times/", book.times, name="times"),
    path("book/times/<str:iso_day>/", book.day, name="day"),
    path("book/choose/", book.choose, name="choose"),
    path("book/review/", book.review, name="review"),
    path("book/confirm/", book.confirm, name="confirm"),
    path("book/booked/", book.booked, name="booked"),
    # The quick exit, from either portal.
    path("leave/", book.leave, name="leave"),
]
