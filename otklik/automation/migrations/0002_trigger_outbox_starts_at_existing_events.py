from django.db import migrations


def start_outbox_at_existing_events(apps, schema_editor):
    # An existing installation must not run triggers over its whole history on upgrade.
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    OutboxCursor = apps.get_model("notifications", "OutboxCursor")
    latest = TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    OutboxCursor.objects.get_or_create(consumer="automation.triggers", defaults={"position": latest})


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_automation_rules_triggers_time_rules_forbidden_words"),
        ("notifications", "0001_notifications_outbox_templates_preferences"),
    ]
    operations = [migrations.RunPython(start_outbox_at_existing_events, migrations.RunPython.noop)]
