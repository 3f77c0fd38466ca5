"""Reading what workers type, for any channel (Telegram today, WhatsApp or a web form tomorrow).

Pure functions: no Telegram types, no database, no English matching. Errors are
``registry.errors.InvalidInput`` with a stable ``code`` and ``params`` for the edge to put into
words. Languages are the bot's ("en", "ne", "bn", "tl", "id"; "fil" and other tags are accepted).
Import from the modules (this package imports nothing, so ``registry.services`` can use
``registry.parsing.text`` without a cycle):

Amounts — ``registry.parsing.money``::

    parse_amount(text, *, language=None, context_currencies=(), currency=None, on=None, fx=None)
        -> AmountReading(amount: Decimal, currency: str | None, currency_candidates: tuple[str, ...],
                         alternatives: tuple[Decimal, ...], text: str, language: str | None)
           .readings -> (amount, *alternatives); .is_ambiguous -> bool
    with_currency(reading, currency, *, on=None, fx=None) -> AmountReading   # after a currency button
    choose(reading, amount) -> AmountReading                                  # after a reading button
    check_amount_bounds(amount, currency, on, fx) -> None     # amount_too_small / amount_too_large
    amount_bounds(currency, on, fx) -> (min, max) | None
    format_amount(amount, currency, language) -> str          # button and card labels

  ``currency`` is set only when the text names one (symbol, code or word, before or after the
  number) and it is unambiguous after the rules in ``money``'s docstring; otherwise it is None, with
  ``currency_candidates`` listing what the text could mean ("Rs" -> NPR, INR, PKR, LKR; "$" -> USD,
  HKD, ...) or empty when the text named no currency. ``alternatives`` are the other readings of an
  ambiguous number ("1.500" in English: 1500 or 1.5), kept only while plausible (with ``on`` and
  ``fx`` and a known currency: inside the currency's bounds). A flow asks the currency when
  ``currency`` is None (buttons from ``currency_candidates``, or its own list), calls
  ``with_currency``, asks the reading when ``is_ambiguous`` (buttons from ``readings``), calls
  ``choose``, then ``check_amount_bounds``. Codes: ``amount_unreadable``, ``amount_not_positive``,
  ``amount_too_large``, ``amount_too_small``, ``unknown_currency`` (field "currency"),
  ``amount_currency_conflict``; params ``text``, ``currency``, ``currencies``, ``min``, ``max``.

Dates — ``registry.parsing.dates``::

    parse_date(text, *, today, language=None)
        -> DateReading(value: date, precision: "day" | "month", calendar: "gregorian" | "bikram_sambat",
                       alternatives: tuple[date, ...])
    format_date_reading(value, precision, language) -> str   # "Mar 15, 2026" / "March 2026"

  Codes: ``date_unreadable``, ``date_needs_month``, ``date_needs_year``, ``date_in_future``,
  ``date_too_old`` (params ``text``, ``min``). ``alternatives`` holds the other day-month order of
  "03/05/2026" when both are possible.

Countries — ``registry.services.countries``::

    match_country(text, language=None) -> str | None          # ISO 3166-1 alpha-2
    country_name(code, language="en") -> str                  # localised, for buttons and cards

Numbers and text — ``registry.parsing.numbers`` (``number_readings``, ``quantity_readings``) and
``registry.parsing.text`` (``fold``, ``squeeze``, ``ascii_digits``, ``language_code``).
"""
