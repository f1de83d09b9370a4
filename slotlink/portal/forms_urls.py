from django.urls import path

from slotlink.portal.views import forms

app_name = "forms"
urlpatterns = [
    # Short, as /b/ is: the path travels in a text.
    path("q/<str:token>", forms.enter, name="enter"),
    path("forms/", forms.home, name="home"),
    path("forms/<int:position>/", forms.start, name="start"),
    path("forms/<int:position>/q/<int:number>/", forms.question, name="question"),
    path("forms/<int:position>/support/", forms.support, name="support"),
    path("forms/<int:position>/check/", forms.check, name="check"),
    path("forms/<int:position>/submit/", forms.submit, name="submit"),
    path("forms/<int:position>/done/", forms.done, name="done"),
]
