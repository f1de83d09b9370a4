"""Copy each message's booking link into the generic reference (one UPDATE), in its own
migration so the copy commits before the old column goes."""

from django.db import migrations
from django.db.models import F, Value

# The name booking gives its links in the reference (slotlink.booking.models.LINK_ABOUT),
# written out because a migration must not change when the code does.
BOOKING_LINK = "booking_link"


def copy_links(apps, schema_editor):
    message = apps.get_model("messaging", "OutboundMessage")
    message.objects.filter(booking_link__isnull=False).update(
        about_kind=Value(BOOKING_LINK), about_id=F("booking_link_id")
    )


def copy_back(apps, schema_editor):
    message = apps.get_model("messaging", "OutboundMessage")
    message.objects.filter(about_kind=BOOKING_LINK).update(booking_link_id=F("about_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_about_reference"),
    ]

    operations = [migrations.RunPython(copy_links, copy_back)]
