"""Which requests are patients': every other page is a staff page (or a probe)."""

from django.http import HttpRequest

# Where patients go. The staff URL patterns never start so (tests/test_urls.py).
PATIENT_PATHS = ("/b/", "/book/", "/m/", "/manage/", "/leave/", "/help/", "/q/", "/forms/")


def is_patient_page(request: HttpRequest) -> bool:
    return request.path_info.startswith(PATIENT_PATHS)
