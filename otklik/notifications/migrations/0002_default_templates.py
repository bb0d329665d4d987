from django.db import migrations

from otklik.notifications.defaults import DEFAULT_TEMPLATES


def create_default_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for topic, languages in DEFAULT_TEMPLATES.items():
        for language, (subject, body) in languages.items():
            NotificationTemplate.objects.get_or_create(
                topic=topic, language=language, defaults={"subject": subject, "body": body}
            )


def start_outbox_at_existing_events(apps, schema_editor):
    # An existing installation must not notify about its whole history on upgrade.
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    OutboxCursor = apps.get_model("notifications", "OutboxCursor")
    latest = TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    OutboxCursor.objects.get_or_create(consumer="notifications", defaults={"position": latest})


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_notifications_outbox_templates_preferences"),
        ("tickets", "0003_ratings_and_sla_due"),
    ]
    operations = [
        migrations.RunPython(create_default_templates, migrations.RunPython.noop),
        migrations.RunPython(start_outbox_at_existing_events, migrations.RunPython.noop),
    ]
