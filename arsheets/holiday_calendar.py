"""The public holidays Next Action Dates, pay-by dates and plan due dates skip: Settings' Holiday
Country / Region, from the holidays package. Its own module so that a refresh gets the calendar
without importing the letters stack (docxtpl, lxml, jinja2)."""

from __future__ import annotations

from collections.abc import Container
from datetime import date
from functools import lru_cache

from .errors import ArsheetsError, Problem, Where
from .model import Settings


def holiday_calendar(settings: Settings) -> Container[date]:
    """The public holidays of the Settings' Holiday Country / Region (none when blank)."""
    country = (settings.holiday_country or "").strip().upper()
    if not country:
        return frozenset()
    region = (settings.holiday_region or "").strip() or None
    return _holidays(country, region.upper() if region else None)


@lru_cache(maxsize=32)
def _holidays(country: str, region: str | None) -> Container[date]:
    import holidays as holidays_lib  # late: a book without a Holiday Country never needs it

    try:
        return holidays_lib.country_holidays(country, subdiv=region or None)
    except NotImplementedError:
        if region:
            try:
                holidays_lib.country_holidays(country)
            except NotImplementedError:
                pass
            else:
                raise ArsheetsError(Problem(
                    Where("Settings"),
                    f"Holiday Region {region!r} is not a region of {country}",
                    "use the region's code, e.g. CA for California or ON for Ontario, or leave "
                    "it blank for national holidays only")) from None
        raise ArsheetsError(Problem(
            Where("Settings"), f"Holiday Country {country!r} is not a country with a holiday "
            "calendar", "use a two-letter code such as US, GB, DE or FR, or leave it blank to "
            "count only Monday to Friday")) from None
