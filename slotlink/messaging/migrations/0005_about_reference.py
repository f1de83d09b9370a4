"""Expand: the generic reference (about_kind + about_id) that replaces the foreign key to
booking links, so that messaging no longer depends on booking (docs/adr/0004-outbox.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_reference_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="about_kind",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="about_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="outboundmessage",
            index=models.Index(fields=["about_kind", "about_id"], name="message_about"),
        ),
    ]
