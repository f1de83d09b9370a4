from django.db import migrations, models

import slotlink.lib.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_fill_references"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="reference",
            field=models.CharField(
                default=slotlink.lib.crypto.new_token, editable=False, max_length=64, unique=True
            ),
        ),
    ]
