"""`fairrecruit bot`: the bot's command, registered on the `fairrecruit` command line through the
entry point group `fairrecruit.commands` (pyproject.toml), so the registry never imports the bot.

The command receives the command line's context object (settings and engine, read at the entry point).
"""

from __future__ import annotations

import logging

import click


@click.command("bot")
@click.option(
    "--webhook",
    is_flag=True,
    help="Receive updates by webhook at FAIRRECRUIT_TELEGRAM_WEBHOOK_URL (secret token required) "
    "instead of long polling.",
)
@click.option("--listen", default="127.0.0.1", show_default=True, help="Webhook mode: address to listen on.")
@click.option("--port", default=8443, show_default=True, type=int, help="Webhook mode: port to listen on.")
@click.option("--url-path", default="telegram", show_default=True, help="Webhook mode: path of the webhook.")
@click.pass_obj
def bot(obj, webhook: bool, listen: str, port: int, url_path: str) -> None:
    """Run the Telegram bot (long polling against FAIRRECRUIT_TELEGRAM_API_BASE_URL)."""
    settings = obj.settings
    if not settings.telegram_bot_token:
        raise click.ClickException(
            "no Telegram bot token: set FAIRRECRUIT_TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot"
        )
    if webhook and not (settings.telegram_webhook_url and settings.telegram_webhook_secret):
        raise click.ClickException(
            "webhook mode needs FAIRRECRUIT_TELEGRAM_WEBHOOK_URL and FAIRRECRUIT_TELEGRAM_WEBHOOK_SECRET"
        )
    from bot.app import quiet_loggers, run_polling, run_webhook
    from registry import logs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logs.setup(settings)
    quiet_loggers()
    base = settings.telegram_api_base_url
    click.echo(
        f"FairRecruit bot: {'webhook on ' + listen + ':' + str(port) if webhook else 'long polling'} "
        f"(Bot API at {base.split('//', 1)[-1].split('/', 1)[0]})"
    )
    if webhook:
        run_webhook(settings, obj.engine, listen=listen, port=port, url_path=url_path)
    else:
        run_polling(settings, obj.engine)
