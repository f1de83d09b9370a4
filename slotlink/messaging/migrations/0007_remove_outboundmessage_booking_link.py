"""Contract, in the same release: the foreign key to booking links goes (docs/adr/0004-outbox.md
says why this is safe here and what a deploy must do)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0006_copy_booking_links"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="outboundmessage",
            name="booking_link",
        ),
    ]
