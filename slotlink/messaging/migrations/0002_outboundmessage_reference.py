from django.db import migrations, models


class Migration(migrations.Migration):
    """The random reference, in three steps (this, 0003 filling it, 0004 making it unique), each
    its own transaction: PostgreSQL refuses to alter a table with updates pending in the same
    transaction."""

    dependencies = [
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="reference",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
    ]
