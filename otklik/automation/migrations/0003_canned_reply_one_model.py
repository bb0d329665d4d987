"""One canned-reply model: the triggers' automatic replies become canned replies that agents use too
(web.CannedReply's rows move here in web.0002)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("automation", "0002_trigger_outbox_starts_at_existing_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("AutoReply", "CannedReply"),
        migrations.AlterModelOptions(
            name="cannedreply",
            options={"ordering": ["order", "title"], "verbose_name": "canned reply",
                     "verbose_name_plural": "canned replies"},
        ),
        migrations.AlterField(
            model_name="cannedreply",
            name="body",
            field=models.TextField(
                help_text="Placeholders: {requester.first_name}, {requester.last_name}, {requester.name}, "
                "{requester.email}, {ticket.number}, {ticket.subject}, {ticket.status}, {agent.first_name}, "
                "{agent.name}, {agent.signature}.",
                verbose_name="text",
            ),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="language",
            field=models.CharField(blank=True, help_text="Empty: offered whatever the agent's language.",
                                   max_length=10, verbose_name="language"),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="team",
            field=models.ForeignKey(blank=True, help_text="Empty: offered to every agent.", null=True,
                                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="accounts.team", verbose_name="team"),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="owner",
            field=models.ForeignKey(blank=True, help_text="Set to keep the reply for one agent only.", null=True,
                                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to=settings.AUTH_USER_MODEL, verbose_name="personal for"),
        ),
        migrations.AddField(
            model_name="cannedreply",
            name="order",
            field=models.PositiveIntegerField(default=0, verbose_name="order"),
        ),
    ]
