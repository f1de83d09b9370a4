from django.db import migrations

from slotlink.lib.crypto import new_token

BATCH = 1000


def fill(apps, schema_editor):
    """A message the provider may already hold (tried at least once, or uncertain) keeps the
    reference the provider knows it by, its number: receipts for it still match, and a resend
    after an ambiguous failure still finds it. One never tried gets a random reference."""
    message = apps.get_model("messaging", "OutboundMessage")
    rows = message.objects.filter(reference__isnull=True).only("pk", "attempts", "uncertain")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        row.reference = str(row.pk) if row.attempts or row.uncertain else new_token()
        batch.append(row)
        if len(batch) == BATCH:
            message.objects.bulk_update(batch, ["reference"])
            batch = []
    message.objects.bulk_update(batch, ["reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_outboundmessage_reference"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
