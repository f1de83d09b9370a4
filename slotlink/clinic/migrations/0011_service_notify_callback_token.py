from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0010_appointment_covering_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="service",
            name="notify_callback_token_hash",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
    ]
