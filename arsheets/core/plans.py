"""Payment plans: installment and amortization schedules, tracking against payments, and options.

Schedules follow the money-and-dates spec. Interest-free plans split the amount in whole cents with
the extra cents on the first installments. Amortized plans pay PMT rounded half-up to cents; each
row's interest is its opening balance x the periodic rate (annual / 12, / 26 or / 52), rounded
half-up; the last payment absorbs what rounding left over, so the balance ends at exactly 0.00 and
the payments add up to the principal plus the interest to the cent. Interest is a whole period per
row whatever the dates, as Excel's PMT assumes; a later First Due moves the dates, not the interest.

A down payment is row 0 of the schedule, due on the start date, without interest; the installments
are rows 1..n and amortize what is left. Monthly due dates are EDATE steps from a fixed anchor: the
First Due date when given (EDATE(first_due, k - 1)), else the start date (EDATE(start, k)), so a
plan started on 31 Jan 2024 falls due on 29 Feb, 31 Mar, 30 Apr. Weekly and every-2-weeks plans step
7 or 14 days from the same anchor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum

from ..errors import Problem, Where
from ..model import Frequency, Payment, Plan, PlanStatus
from ..money import CENT, HUNDRED, ZERO, cents, fmt_plain
from .calendar import edate

MAX_INSTALLMENTS = 600  # 50 years of monthly installments; more is a typo, not a plan

_PERIODS_PER_YEAR = {Frequency.MONTHLY: 12, Frequency.EVERY_2_WEEKS: 26, Frequency.WEEKLY: 52}
_PERIOD_DAYS = {Frequency.EVERY_2_WEEKS: 14, Frequency.WEEKLY: 7}
_PERIOD_WORD = {Frequency.MONTHLY: "month", Frequency.EVERY_2_WEEKS: "two weeks",
                Frequency.WEEKLY: "week"}
# Enough digits that balance x annual rate is exact and dividing by 12, 26 or 52 can only be
# inexact where the true value does not end in a half cent, so ROUND_HALF_UP sees every real tie.
_PRECISION = 60
_TRACKED = frozenset({PlanStatus.SIGNED, PlanStatus.ACTIVE, PlanStatus.COMPLETED,
                      PlanStatus.DEFAULTED})


class PlanError(ValueError):
    """A plan that cannot be scheduled, in words a bookkeeper can act on.

    ``field`` names the Plans column to fix (``"Installments"``, ``"Down Payment"``, ...), or is
    None when the amount owed itself is the trouble.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def problem(self, row: int) -> Problem:
        return Problem(Where(sheet="Plans", row=row, field=self.field), self.message)


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One line of the Schedule sheet. ``no`` 0 is the down payment; ``balance`` is the principal
    still owed after this payment."""

    no: int
    due: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Schedule:
    """``principal`` is the whole amount owed, down payment included; ``installment`` is the first
    regular installment (interest-free: later ones may be a cent less; amortized: the last one takes
    up the rounding); ``total_payable`` = principal + total interest = the sum of every payment."""

    principal: Decimal
    down_payment: Decimal
    installment: Decimal
    total_interest: Decimal
    total_payable: Decimal
    rows: tuple[ScheduleRow, ...]

    @property
    def last_due(self) -> date:
        return self.rows[-1].due


def build_schedule(
    principal: Decimal,
    installments: int,
    *,
    start: date,
    frequency: Frequency,
    annual_rate: Decimal | int,
    down_payment: Decimal | int = ZERO,
    first_due: date | None = None,
) -> Schedule:
    """The schedule of a plan, or :class:`PlanError` when the plan is impossible.

    Amounts are quantized to cents first, as every amount read from the workbook is.
    """
    principal, down_payment = cents(principal), cents(down_payment)
    annual_rate = Decimal(annual_rate)
    _check_amounts(principal, down_payment, start, first_due)
    financed = principal - down_payment
    _check_terms(financed, installments, annual_rate)
    periods = _PERIODS_PER_YEAR[frequency]
    if annual_rate == 0:
        amounts = _split(financed, installments)
    else:
        amounts = _amortize(financed, installments, annual_rate, periods, frequency)

    rows: list[ScheduleRow] = []
    if down_payment:
        rows.append(ScheduleRow(0, start, down_payment, ZERO, down_payment, financed))
    balance = financed
    for k, (payment, interest) in enumerate(amounts, start=1):
        balance -= payment - interest
        rows.append(ScheduleRow(k, _due(start, first_due, frequency, k), payment, interest,
                                payment - interest, balance))
    total_interest = sum((row.interest for row in rows), ZERO)
    return Schedule(
        principal=principal,
        down_payment=down_payment,
        installment=rows[1 if down_payment else 0].payment,
        total_interest=total_interest,
        total_payable=principal + total_interest,
        rows=tuple(rows),
    )


def _check_amounts(principal: Decimal, down_payment: Decimal, start: date,
                   first_due: date | None) -> None:
    """What must hold whatever the number of installments and the rate."""
    if principal <= 0:
        raise PlanError(f"a plan needs a positive amount owed, not {fmt_plain(principal)}")
    if down_payment < 0:
        raise PlanError(f"the down payment can't be negative ({fmt_plain(down_payment)})",
                        "Down Payment")
    if down_payment >= principal:
        raise PlanError(
            f"the down payment ({fmt_plain(down_payment)}) must be less than the amount owed "
            f"({fmt_plain(principal)}); if it pays everything, no plan is needed", "Down Payment")
    if first_due is not None and first_due < start:
        raise PlanError(f"the first installment can't be due ({first_due.isoformat()}) before the "
                        f"plan starts ({start.isoformat()})", "First Due")


def _check_terms(financed: Decimal, installments: int, annual_rate: Decimal) -> None:
    if installments < 1:
        raise PlanError(f"a plan needs at least 1 installment, not {installments}", "Installments")
    if installments > MAX_INSTALLMENTS:
        raise PlanError(f"a plan can have at most {MAX_INSTALLMENTS} installments, not "
                        f"{installments}", "Installments")
    available = int(financed / CENT)
    if available < installments:
        raise PlanError(
            f"{fmt_plain(financed)} can't be split into {installments} installments of at least "
            f"0.01; use at most {available}", "Installments")
    if annual_rate < 0:
        raise PlanError(f"the annual rate can't be negative ({_percent(annual_rate)})",
                        "Annual Rate")


def _split(financed: Decimal, installments: int) -> list[tuple[Decimal, Decimal]]:
    """Whole cents, the extra cents on the first installments: 100.00 / 3 -> 33.34, 33.33, 33.33."""
    base, extra = divmod(int(financed / CENT), installments)
    return [((base + (k < extra)) * CENT, ZERO) for k in range(installments)]


def _amortize(financed: Decimal, installments: int, annual_rate: Decimal, periods: int,
              frequency: Frequency) -> list[tuple[Decimal, Decimal]]:
    """(payment, interest) per installment."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        rate = annual_rate / periods
        growth = (1 + rate) ** installments
        payment = cents(financed * rate * growth / (growth - 1))

        def interest_on(balance: Decimal) -> Decimal:
            return cents(balance * annual_rate / periods)  # multiply first: see _PRECISION

        first_interest = interest_on(financed)
        if payment <= first_interest:
            raise PlanError(
                f"at {_percent(annual_rate)} a year, an installment of {fmt_plain(payment)} pays "
                f"no more than the {fmt_plain(first_interest)} interest of one "
                f"{_PERIOD_WORD[frequency]}, so the balance would never go down; lower the rate "
                f"or use fewer installments", "Annual Rate")
        rows = []
        balance = financed
        for _ in range(installments - 1):
            interest = interest_on(balance)
            if payment - interest >= balance:
                raise PlanError(
                    f"installments of {fmt_plain(payment)} (rounded to the cent) would pay off "
                    f"{fmt_plain(financed)} before the last of {installments}; use fewer "
                    f"installments", "Installments")
            rows.append((payment, interest))
            balance -= payment - interest
        interest = interest_on(balance)
        last = balance + interest
    if last > 2 * payment:
        # What rounding the installment to cents leaves over compounds, when the installment
        # hardly beats the interest, into a balloon at the end: not the plan the customer agreed to.
        raise PlanError(
            f"at {_percent(annual_rate)} a year, installments of {fmt_plain(payment)} (rounded to "
            f"the cent) would leave {fmt_plain(last)} for the last one; lower the rate or use "
            f"fewer installments", "Annual Rate")
    rows.append((last, interest))
    return rows


def _due(start: date, first_due: date | None, frequency: Frequency, k: int) -> date:
    """Installment ``k`` (1-based), always from the fixed anchor, never from the previous date."""
    anchor, offset = (first_due, k - 1) if first_due is not None else (start, k)
    if frequency == Frequency.MONTHLY:
        return edate(anchor, offset)
    return anchor + timedelta(days=_PERIOD_DAYS[frequency] * offset)


def _percent(rate: Decimal) -> str:
    return f"{(rate * HUNDRED).normalize():f}%"


# --- tracking -----------------------------------------------------------------------------------


class InstallmentStatus(StrEnum):
    """Where one schedule row stands on the as-of date.

    Paid: nothing left to pay on it. Missed: its due date has passed and something is still owed
    (within grace or not; grace only decides default). Partly paid: not yet late, something paid.
    Due: the next installment to pay, not yet late and nothing paid on it. Upcoming: the later ones.
    """

    PAID = "Paid"
    PARTLY_PAID = "Partly paid"
    DUE = "Due"
    MISSED = "Missed"
    UPCOMING = "Upcoming"


@dataclass(frozen=True, slots=True)
class InstallmentProgress:
    no: int
    due: date
    payment: Decimal
    paid: Decimal
    owed: Decimal  # payment - paid
    status: InstallmentStatus


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """A tracked plan on the as-of date.

    ``paid`` is what went to the schedule and ``unapplied`` what was paid beyond it, so
    ``paid + remaining == total payable``. ``next_due``/``next_amount`` are the first installment
    not fully paid and what is still owed on it (it may be a missed one), None when completed.
    ``overdue`` is what is owed on missed installments. When ``defaulted`` (an installment still not
    fully paid more than ``grace_days`` after its due date), ``default_date`` is the first day past
    that installment's grace and ``accelerated_amount`` is due now: every installment already due,
    in full, plus the principal of the ones not due yet; their interest is not earned, so it is not
    accelerated. Paying what was missed cures a default.
    """

    plan_id: str
    as_of: date
    installments: tuple[InstallmentProgress, ...]
    paid: Decimal
    remaining: Decimal
    unapplied: Decimal
    next_due: date | None
    next_amount: Decimal | None
    missed: int
    overdue: Decimal
    defaulted: bool
    default_date: date | None
    accelerated_amount: Decimal | None

    @property
    def completed(self) -> bool:
        return self.remaining == 0


def track(plan: Plan, schedule: Schedule, payments: Sequence[Payment], as_of: date,
          grace_days: int) -> PlanProgress | None:
    """Apply the payments toward ``plan`` to its schedule, in order, down payment first.

    The caller selects the payments. Those dated after ``as_of`` are not received yet and refunds or
    zero rows (amount <= 0) are left as typed, as payment application does. Proposed and Cancelled
    plans are not tracked: None. Signed, Active, Completed and Defaulted plans are tracked from the
    payments alone, so a plan marked Completed that is not fully paid shows what is left.
    """
    if plan.status not in _TRACKED:
        return None
    received = _total(p.amount for p in payments if p.date <= as_of and p.amount > 0)
    paid = min(received, schedule.total_payable)

    rows: list[InstallmentProgress] = []
    left = paid
    next_seen = False
    for row in schedule.rows:
        on_row = min(left, row.payment)
        left -= on_row
        owed = row.payment - on_row
        if not owed:
            status = InstallmentStatus.PAID
        elif row.due < as_of:
            status = InstallmentStatus.MISSED
        elif on_row:
            status = InstallmentStatus.PARTLY_PAID
        elif not next_seen:
            status = InstallmentStatus.DUE
        else:
            status = InstallmentStatus.UPCOMING
        next_seen = next_seen or (owed > 0 and row.due >= as_of)
        rows.append(InstallmentProgress(row.no, row.due, row.payment, on_row, owed, status))

    open_rows = [r for r in rows if r.owed]
    missed = [r for r in rows if r.status is InstallmentStatus.MISSED]
    late = [r for r in missed if (as_of - r.due).days > grace_days]
    accelerated = None
    if late:
        # Payments fill rows in order, so with a row still owed nothing is paid on later rows and
        # their unpaid principal is simply the schedule's.
        accelerated = _total(r.owed for r in rows if r.due <= as_of) + _total(
            row.principal for row in schedule.rows if row.due > as_of)
    return PlanProgress(
        plan_id=plan.id,
        as_of=as_of,
        installments=tuple(rows),
        paid=paid,
        remaining=schedule.total_payable - paid,
        unapplied=received - paid,
        next_due=open_rows[0].due if open_rows else None,
        next_amount=open_rows[0].owed if open_rows else None,
        missed=len(missed),
        overdue=_total(r.owed for r in missed),
        defaulted=bool(late),
        default_date=late[0].due + timedelta(days=grace_days + 1) if late else None,
        accelerated_amount=accelerated,
    )


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


# --- options ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One line of the ``--compare`` table; the figures are None and ``problem`` says why when this
    number of installments or this rate is impossible for the amount."""

    installments: int
    annual_rate: Decimal
    installment: Decimal | None
    total_interest: Decimal | None
    total_payable: Decimal | None
    last_due: date | None
    problem: str | None = None


def compare_options(
    principal: Decimal,
    *,
    start: date,
    rates: Sequence[Decimal | int],
    counts: Sequence[int] = (3, 6, 12),
    frequency: Frequency = Frequency.MONTHLY,
    down_payment: Decimal | int = ZERO,
    first_due: date | None = None,
) -> list[Option]:
    """Every rate (in order, repeats dropped) with every count: e.g. ``rates=(0, plan rate)``.

    An amount or down payment no plan can take raises :class:`PlanError`; a count or rate that
    doesn't work for it is reported on its own line, so the rest of the table still shows.
    """
    _check_amounts(cents(principal), cents(down_payment), start, first_due)
    options = []
    for rate in dict.fromkeys(Decimal(r) for r in rates):
        for count in counts:
            try:
                s = build_schedule(principal, count, start=start, frequency=frequency,
                                   annual_rate=rate, down_payment=down_payment,
                                   first_due=first_due)
            except PlanError as exc:
                options.append(Option(count, rate, None, None, None, None, exc.message))
            else:
                options.append(Option(count, rate, s.installment, s.total_interest,
                                      s.total_payable, s.last_due))
    return options
