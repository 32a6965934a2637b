"""The Settings sheet: small tables found by their header rows anywhere on the sheet.

- ``Key | Value``: the settings of ``schema.SETTINGS`` (keys case- and space-insensitive; unknown keys
  ignored; a blank value means the default);
- ``Sheet | Header in workbook | Means``: the bookkeeper's own headers mapped to contract headers;
- ``Days | Stage | Action | Template``: the collection ladder (absent: ``model.DEFAULT_LADDER``);
- ``Rate From | Reference Rate``: an optional dated history of the central-bank rate.

Each table reads down from its header row to the first blank row. Every problem here is structural:
the run stops before anything is written, with all of them listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import holidays
from babel.numbers import list_currencies

from .. import model
from ..errors import Problem, Where
from ..money import parse_rate
from . import schema
from .dates import date_order
from .records import (
    RATE_POLICIES, STATUTORY_POLICIES, Bad, Converters, choice, listing, quote, shown, to_int,
    to_locale, to_rate, to_text,
)
from .scan import SheetSource
from .values import Value

_norm = schema.normalize_header


@dataclass
class SettingsRead:
    settings: model.Settings = model.Settings()
    # contract sheet name -> {normalised workbook header: contract header}
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # contract sheet name -> {contract header: workbook header as typed}, for hints
    alias_text: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sheet: str | None = None  # the Settings sheet's actual name; None when there is none
    # setting key -> the cell holding its value, for the writer and for messages
    cells: dict[str, Where] = field(default_factory=dict)


_KEYS = {_norm(k.key): k for k in schema.SETTINGS}


def _blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Sheet:
    def __init__(self, src: SheetSource):
        self.name = src.name
        self.grid: dict[int, dict[int, Value]] = {row: cells for row, cells in src.rows(None)}

    def find(self, headers: tuple[str, ...], needed: int) -> list[tuple[int, int, int]]:
        """(row, first column, width) of each table whose first ``needed`` headers match."""
        keys = [_norm(h) for h in headers]
        found = []
        for row in sorted(self.grid):
            cells = self.grid[row]
            for col in sorted(cells):
                v = cells[col]
                if not isinstance(v, str) or _norm(v) != keys[0]:
                    continue
                width = 1
                while width < len(keys):
                    nxt = cells.get(col + width)
                    if not isinstance(nxt, str) or _norm(nxt) != keys[width]:
                        break
                    width += 1
                if width >= needed:
                    found.append((row, col, width))
        return found

    def table_rows(self, row: int, col: int, width: int):
        """The rows under a table header, up to the first blank one: (row, [values])."""
        r = row + 1
        while True:
            cells = self.grid.get(r)
            if cells is None:
                return
            values = [cells.get(col + i) for i in range(width)]
            if all(_blank(v) for v in values):
                return
            yield r, values
            r += 1


def read_settings(src: SheetSource | None, date1904: bool = False) -> SettingsRead:
    """The Settings sheet -> :class:`SettingsRead`; a missing sheet gives the defaults."""
    result = SettingsRead()
    if src is None:
        return result
    result.sheet = src.name
    sheet = _Sheet(src)
    problems = result.problems
    name = sheet.name

    def where(row: int, col: int) -> Where:
        return Where(name, row, col)

    def bad(w: Where, exc: Bad, label: str) -> None:
        problems.append(Problem(w, exc.message.replace("{header}", label), exc.hint))

    # --- Key | Value ----------------------------------------------------------------------------------
    values: dict[str, tuple[Where, Value]] = {}
    for row, col, width in sheet.find(schema.SETTINGS_HEADERS, 2):
        for r, (key_cell, value) in sheet.table_rows(row, col, 2):
            key_text = key_cell.strip() if isinstance(key_cell, str) else None
            spec = _KEYS.get(_norm(key_text)) if key_text else None
            if spec is None:
                continue  # unknown keys are the bookkeeper's own notes
            if spec.key in values:
                first = values[spec.key][0]
                problems.append(Problem(where(r, col), f"{spec.key} is set twice (also on row "
                                        f"{first.row})", "keep one of them"))
                continue
            values[spec.key] = (where(r, col + 1), value)
            result.cells[spec.key] = where(r, col + 1)

    kwargs: dict[str, object] = {}

    def get(key: str, parse: Callable[[Value], object]) -> object | None:
        """The parsed value of a key, None when absent or blank or wrong (a problem is noted)."""
        if key not in values:
            return None
        w, value = values[key]
        if _blank(value):
            return None
        try:
            return parse(value)
        except Bad as exc:
            bad(w, exc, key)
            return None

    locale = get("Locale", to_locale)
    if locale:
        kwargs["locale"] = locale
    currency = get("Currency", _currency)
    if currency:
        kwargs["currency"] = currency
    conv = Converters(str(kwargs.get("locale", "en_US")), str(kwargs.get("currency", "USD")),
                      date1904)

    for key, attr in (("Company Name", "company_name"), ("Company Address", "company_address"),
                      ("Company Phone", "company_phone"), ("Company Email", "company_email"),
                      ("Signatory", "signatory"), ("Signatory Title", "signatory_title"),
                      ("Governing Law", "governing_law"),
                      ("Letters Folder", "letters_folder"),
                      ("Templates Folder", "templates_folder")):
        text = get(key, to_text)
        if text is not None:
            kwargs[attr] = text

    country = get("Holiday Country", _country)
    if country is not None:
        kwargs["holiday_country"] = None if country == "" else country
    country_now = kwargs.get("holiday_country", model.Settings().holiday_country)
    region = get("Holiday Region", lambda v: _region(v, country_now))
    if region is not None:
        kwargs["holiday_region"] = region

    as_of = get("As Of Date", conv.date)
    if as_of is not None:
        kwargs["as_of"] = as_of
    basis = get("Aging Basis", choice("Aging Basis", ("Due Date", "Invoice Date")))
    if basis is not None:
        kwargs["aging_basis"] = model.AgingBasis(basis)
    edges = get("Aging Buckets", _buckets)
    if edges is not None:
        kwargs["aging_edges"] = edges
    for key, attr in (("Default Terms", "default_terms"),
                      ("Pay By Business Days", "pay_by_business_days"),
                      ("Credit Hold Days", "credit_hold_days"),
                      ("Chronic Late Days", "chronic_late_days"),
                      ("Plan Grace Days", "plan_grace_days")):
        n = get(key, to_int)
        if n is not None:
            kwargs[attr] = n
    plan_rate = get("Plan Rate", to_rate)
    if plan_rate is not None:
        kwargs["plan_rate"] = plan_rate
    discount = get("Early Discount", lambda v: _early_discount(v, conv.locale))
    if discount is not None:
        kwargs["early_discount"] = discount

    # --- the late fee policy ----------------------------------------------------------------------------
    kind_text = get("Late Fee Policy", choice("Late Fee Policy", schema.FEE_POLICIES))
    kind = model.FeeKind(kind_text) if kind_text else model.FeeKind.NONE
    rate = get("Late Fee Rate", to_rate)
    amount = get("Late Fee Amount", lambda v: _amount(conv, v))
    grace = get("Grace Days", to_int)
    minimum = get("Late Fee Minimum", lambda v: _amount(conv, v))
    maximum = get("Late Fee Maximum", lambda v: _amount(conv, v))
    reference = get("Reference Rate", _reference_rate)
    if isinstance(minimum, Decimal) and isinstance(maximum, Decimal) and minimum > maximum:
        problems.append(Problem(values["Late Fee Minimum"][0],
                                f"Late Fee Minimum {minimum} is more than the Late Fee Maximum "
                                f"{maximum}", "swap them, or clear one"))
    kwargs["late_fee"] = model.FeePolicy(kind, rate, amount, grace or 0, minimum, maximum)
    if reference is not None:
        kwargs["reference_rate"] = reference

    # --- Rate From | Reference Rate -----------------------------------------------------------------
    history: dict[date, tuple[int, Decimal]] = {}
    for row, col, width in sheet.find(schema.REFERENCE_RATES_HEADERS, 2):
        for r, (when, value) in sheet.table_rows(row, col, 2):
            d = rate_value = None
            try:
                d = conv.date(when) if not _blank(when) else None
                if d is None:
                    problems.append(Problem(where(r, col), "Rate From is blank",
                                            "type the date the rate took effect"))
            except Bad as exc:
                bad(where(r, col), exc, "Rate From")
            try:
                rate_value = _reference_rate(value) if not _blank(value) else None
                if rate_value is None:
                    problems.append(Problem(where(r, col + 1), "Reference Rate is blank",
                                            "type the rate, like 5.25%"))
            except Bad as exc:
                bad(where(r, col + 1), exc, "Reference Rate")
            if d is None or rate_value is None:
                continue
            if d in history:
                problems.append(Problem(where(r, col), f"Rate From {d.isoformat()} is already on "
                                        f"row {history[d][0]}", "keep one rate per date"))
                continue
            history[d] = (r, rate_value)
    if history:
        kwargs["reference_rates"] = tuple((d, history[d][1]) for d in sorted(history))

    # --- what the policy needs -------------------------------------------------------------------------
    policy_where = values["Late Fee Policy"][0] if "Late Fee Policy" in values else Where(name)

    def has_problem(key: str) -> bool:
        return key in values and any(p.where == values[key][0] for p in problems)

    if kind is model.FeeKind.FLAT and amount is None and not has_problem("Late Fee Amount"):
        problems.append(Problem(policy_where, "Late Fee Policy Flat needs a Late Fee Amount",
                                "add a Late Fee Amount row to the Key | Value table, like 25"))
    if kind in RATE_POLICIES and rate is None and not has_problem("Late Fee Rate"):
        problems.append(Problem(policy_where, f"Late Fee Policy {kind.value} needs a Late Fee "
                                "Rate", "add a Late Fee Rate row to the Key | Value table, "
                                "like 1.5%"))
    if kind in STATUTORY_POLICIES and reference is None and not history \
            and not has_problem("Reference Rate"):
        problems.append(Problem(policy_where, f"Late Fee Policy {kind.value} needs a Reference "
                                "Rate", "add a Reference Rate row to the Key | Value table, like "
                                "5.25%, or a Rate From | Reference Rate table"))

    # --- Days | Stage | Action | Template -------------------------------------------------------------
    ladders = sheet.find(schema.LADDER_HEADERS, 3)
    if ladders:
        kwargs["ladder"] = _ladder(sheet, ladders, problems)

    # --- Sheet | Header in workbook | Means -----------------------------------------------------------
    _columns(sheet, result)

    result.settings = model.Settings(**kwargs)  # type: ignore[arg-type]
    return result


def _currency(value: Value) -> str:
    text = to_text(value) or ""
    code = text.upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in _currencies():
        raise Bad(f"{quote(text)} is not a currency code",
                  "type an ISO 4217 code like USD, EUR or GBP")
    return code


_CURRENCIES: set[str] | None = None


def _currencies() -> set[str]:
    global _CURRENCIES
    if _CURRENCIES is None:
        _CURRENCIES = set(list_currencies())
    return _CURRENCIES


def _country(value: Value) -> str:
    """'' for no holidays (None, -), else a code the holidays package supports."""
    text = to_text(value) or ""
    if text.casefold() in ("none", "-", "no"):
        return ""
    code = text.upper()
    if code not in holidays.list_supported_countries():
        raise Bad(f"{quote(text)} is not a country the holiday calendar knows",
                  "type a two-letter code like US, GB or DE, or None for no holidays")
    return code


def _region(value: Value, country: object) -> str | None:
    text = to_text(value)
    if not text:
        return None
    if not country:
        raise Bad(f"Holiday Region {quote(text)} needs a Holiday Country",
                  "set Holiday Country, or clear Holiday Region")
    regions = holidays.list_supported_countries().get(str(country), [])
    folded = {r.casefold(): r for r in regions}
    if text.casefold() not in folded:
        if not regions:
            raise Bad(f"{quote(text)} is not a region of {country}",
                      f"the holiday calendar of {country} has no regions; clear it")
        raise Bad(f"{quote(text)} is not a region of {country}",
                  f"use one of {listing(regions)}")
    return folded[text.casefold()]


def _buckets(value: Value) -> tuple[int, ...]:
    hint = "type increasing day counts like 30, 60, 90"
    if isinstance(value, Decimal):
        parts = [str(value)]
    elif isinstance(value, str):
        parts = [p for p in re.split(r"[,;\s]+", value.strip()) if p]
    else:
        raise Bad(f"{shown(value)} is not a list of bucket edges", hint)
    edges: list[int] = []
    for part in parts:
        try:
            n = Decimal(part)
        except InvalidOperation:
            raise Bad(f"{shown(value)} is not a list of bucket edges", hint) from None
        if not n.is_finite() or n != n.to_integral_value() or n <= 0:
            raise Bad(f"{shown(value)} is not a list of bucket edges", hint)
        edges.append(int(n))
    if not edges or any(a >= b for a, b in zip(edges, edges[1:])):
        raise Bad(f"{shown(value)} is not a list of increasing bucket edges", hint)
    return tuple(edges)


_EARLY = re.compile(r"(\d+(?:[.,]\d+)?)\s*%?\s*/\s*(\d+)(?:\s*,?\s*(?:net|n)\s*\d+)?",
                    re.IGNORECASE)


def _early_discount(value: Value, locale: str) -> model.EarlyDiscount:
    hint = "type it like 2/10 for 2% off if paid within 10 days"
    if isinstance(value, date):
        # "2/10" typed into a cell becomes a date; read it back in the locale's order
        order = date_order(locale)
        first, second = ((value.month, value.day) if order == "MDY" else
                         (value.day, value.month) if order == "DMY" else (None, None))
        if first is None:
            raise Bad(f"{shown(value)} is not an early discount", hint)
        text = f"{first}/{second}"
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise Bad(f"{shown(value)} is not an early discount", hint)
    m = _EARLY.fullmatch(text)
    if m is None:
        raise Bad(f"{quote(text)} is not an early discount", hint)
    rate = Decimal(m.group(1).replace(",", ".")) / 100
    days = int(m.group(2))
    if not 0 < rate < 1:
        raise Bad(f"{quote(text)}: the discount must be more than 0% and less than 100%", hint)
    return model.EarlyDiscount(rate, days)


def _amount(conv: Converters, value: Value) -> Decimal | None:
    amount = conv.money(value)
    if amount is not None and amount < 0:
        raise Bad(f"{shown(value)} cannot be negative")
    return amount


def _reference_rate(value: Value) -> Decimal:
    """A central-bank rate: like a rate, but it may be negative."""
    if isinstance(value, str) and value.strip().startswith(("-", "\u2212")):
        rest = value.strip()[1:]
        try:
            return -parse_rate(rest)
        except ValueError as exc:
            raise Bad(f"{shown(value)} {exc}") from None
    if isinstance(value, Decimal) and value < 0:
        try:
            return -parse_rate(-value)
        except ValueError as exc:
            raise Bad(f"{shown(value)} {exc}") from None
    rate = to_rate(value)
    if rate is None:
        raise Bad("{header} is blank")
    return rate


def _ladder(sheet: _Sheet, tables: list[tuple[int, int, int]], problems: list[Problem]
            ) -> tuple[model.LadderStep, ...]:
    steps: list[model.LadderStep] = []
    seen: dict[str, int] = {}
    action_of = choice("ladder Action", schema.LADDER_ACTIONS, required=True)
    name = sheet.name
    for row, col, width in tables:
        width = max(width, 3)
        has_template = width >= 4
        for r, values in sheet.table_rows(row, col, 4 if has_template else 3):
            days_v, stage_v, action_v = values[:3]
            template_v = values[3] if has_template else None
            ok = True

            def problem(offset: int, message: str, hint: str = "") -> None:
                nonlocal ok
                ok = False
                problems.append(Problem(Where(name, r, col + offset), message, hint))

            days = stage = action = template = None
            try:
                days = to_int(days_v, negative=True, example="-7 or 30") if not _blank(days_v) \
                    else None
                if days is None:
                    problem(0, "Days is blank", "type the days after the due date, like 30 "
                            "(negative: before it)")
            except Bad as exc:
                problem(0, exc.message.replace("{header}", "Days"), exc.hint)
            try:
                stage = to_text(stage_v)
                if stage is None:
                    problem(1, "Stage is blank", "every ladder step needs a name")
                elif _norm(stage) in seen:
                    problem(1, f"Stage {quote(stage)} is already on row {seen[_norm(stage)]}",
                            "give each step its own name")
                else:
                    seen[_norm(stage)] = r
            except Bad as exc:
                problem(1, exc.message.replace("{header}", "Stage"), exc.hint)
            try:
                action = action_of(action_v) if not _blank(action_v) else None
                if action is None:
                    problem(2, "Action is blank",
                            f"use one of {', '.join(schema.LADDER_ACTIONS)}")
            except Bad as exc:
                problem(2, exc.message.replace("{header}", "Action"), exc.hint)
            try:
                template = to_text(template_v) if template_v is not None else None
            except Bad as exc:
                problem(3, exc.message.replace("{header}", "Template"), exc.hint)
            if action in ("Letter", "Email") and template is None and ok:
                problem(3 if has_template else 2, f"a {action} step needs a Template",
                        "type the template's name, like first_reminder"
                        + ("" if has_template else ", in a Template column"))
            if ok:
                steps.append(model.LadderStep(days, stage, action, template))  # type: ignore[arg-type]
    steps.sort(key=lambda s: s.days)
    return tuple(steps)


def _columns(sheet: _Sheet, result: SettingsRead) -> None:
    problems = result.problems
    name = sheet.name
    sheets = {_norm(s.name): s for s in schema.DATA_SHEETS}
    targets: dict[tuple[str, str], int] = {}
    sources: dict[tuple[str, str], int] = {}
    for row, col, width in sheet.find(schema.COLUMNS_HEADERS, 3):
        for r, (sheet_v, header_v, means_v) in sheet.table_rows(row, col, 3):
            try:
                sheet_text, header_text, means_text = (to_text(sheet_v), to_text(header_v),
                                                       to_text(means_v))
            except Bad as exc:
                problems.append(Problem(Where(name, r, col), exc.message.replace(
                    "{header}", "this Columns row"), exc.hint))
                continue
            spec = sheets.get(_norm(sheet_text)) if sheet_text else None
            if spec is None:
                problems.append(Problem(
                    Where(name, r, col), f"{quote(sheet_text or '')} is not a sheet arsheets reads"
                    if sheet_text else "Sheet is blank",
                    f"use one of {', '.join(s.name for s in schema.DATA_SHEETS)}"))
                continue
            if header_text is None:
                problems.append(Problem(Where(name, r, col + 1), "Header in workbook is blank",
                                        "type the header as it is in your sheet"))
                continue
            contract = {_norm(c.name): c.name for c in spec.columns}
            target = contract.get(_norm(means_text)) if means_text else None
            if target is None:
                problems.append(Problem(
                    Where(name, r, col + 2), f"{quote(means_text)} is not a {spec.name} column"
                    if means_text else "Means is blank",
                    f"use one of {listing((c.name for c in spec.columns), 30)}"))
                continue
            key = (spec.name, _norm(header_text))
            if key in sources:
                problems.append(Problem(Where(name, r, col + 1), f"{quote(header_text)} on "
                                        f"{spec.name} is already mapped on row {sources[key]}",
                                        "keep one of them"))
                continue
            if (spec.name, target) in targets:
                problems.append(Problem(Where(name, r, col + 2), f"{quote(target)} on {spec.name} "
                                        f"is already mapped on row {targets[(spec.name, target)]}",
                                        "map one header to it"))
                continue
            sources[key] = targets[(spec.name, target)] = r
            result.aliases.setdefault(spec.name, {})[_norm(header_text)] = target
            result.alias_text.setdefault(spec.name, {})[target] = header_text
