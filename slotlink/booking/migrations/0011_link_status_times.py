"""When a link was opened, booked and expired, on the link itself (see BookingLink): nullable
columns, so adding them rewrites nothing and the release before, which does not know them,
keeps working (expand; docs/deploy.md). 0012 fills them from the links' events."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("booking", "0010_welsh_content")]

    operations = [
        migrations.AddField(
            model_name="bookinglink",
            name=name,
            field=models.DateTimeField(blank=True, null=True),
        )
        for name in ("accessed_at", "booked_at", "expired_at")
    ]
