"""The bot's languages: gettext catalogs under bot/locales/<lang>/LC_MESSAGES/bot.mo.

Messages use ``{name}`` placeholders and are formatted after translation. ``N_`` marks a message
for extraction without translating it (for labels defined at import time).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "bot"
DEFAULT = "en"
# Native names, shown on the language picker (never translated).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ne": "नेपाली",
    "bn": "বাংলা",
    "tl": "Tagalog",
    "id": "Bahasa Indonesia",
}
# Telegram's language_code is an IETF tag; map the ones that mean one of our languages.
_ALIASES = {"fil": "tl", "in": "id", "npi": "ne"}
# The usual origin country of speakers of each language (for a default currency).
HOME_COUNTRY = {"ne": "NP", "bn": "BD", "tl": "PH", "id": "ID"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    return message


def pick_language(language_code: str | None) -> str:
    """Our language for a Telegram language_code ("ne", "bn-BD", "fil", ...); English otherwise."""
    code = (language_code or "").strip().lower().replace("_", "-").split("-")[0]
    code = _ALIASES.get(code, code)
    return code if code in LANGUAGES else DEFAULT


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT or lang not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=str(LOCALES_DIR), languages=[lang])


def gettext_for(lang: str):
    """The gettext function of a language."""
    return translations(lang).gettext
