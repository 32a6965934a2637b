"""The demo business and the synthetic benchmark books: shapes, ranges, integrity, the special
cases a collector meets, determinism. Checked with plain arithmetic, not with arsheets.core."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from arsheets.demo import DEMO_ROLES, demo_book, synthetic_book
from arsheets.model import ActivityType, Channel, FeeKind, Hold
from arsheets.money import cents
from arsheets.workbook import schema

AS_OF = date(2024, 6, 28)
CASES = [(AS_OF, 7), (date(2025, 2, 3), 7), (date(2024, 3, 1), 1), (date(2023, 12, 31), 11),
         (date(2026, 9, 15), 42)]
CENT = Decimal("0.01")


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}-seed{c[1]}")
def case(request):
    as_of, seed = request.param
    book, settings = demo_book(as_of, seed)
    return as_of, book, settings


def _due(inv, customers):
    if inv.due_date is not None:
        return inv.due_date
    terms = customers[inv.customer_id].terms
    return inv.invoice_date + timedelta(days=30 if terms is None else terms)


def _replay(book, cid):
    """Oldest-due-first application of a customer's payments and credits, in date order.
    Returns ({invoice id: open balance}, {invoice id: settled date}, unapplied)."""
    customers = {c.id: c for c in book.customers}
    invs = sorted((i for i in book.invoices if i.customer_id == cid and i.amount > 0),
                  key=lambda i: (_due(i, customers), i.invoice_date, i.id))
    open_ = {i.id: i.amount for i in invs}
    held = {i.id for i in invs if i.hold}
    settled = {}
    events = [(p.date, p.amount, p.target) for p in book.payments if p.customer_id == cid]
    events += [(i.invoice_date, -i.amount, None) for i in book.invoices
               if i.customer_id == cid and i.amount < 0]
    left_over = Decimal(0)
    for day, amount, target in sorted(events, key=lambda e: e[0]):
        order = ([target] if target in open_ else []) + [i.id for i in invs if i.id not in held]
        for iid in order:
            if amount <= 0:
                break
            use = min(open_[iid], amount)
            if use <= 0:
                continue
            open_[iid] -= use
            amount -= use
            if open_[iid] == 0:
                settled[iid] = day
            elif book.settings.early_discount and iid not in held:
                inv = next(i for i in invs if i.id == iid)
                offer = book.settings.early_discount
                if (day <= inv.invoice_date + timedelta(days=offer.days)
                        and open_[iid] <= cents(offer.rate * inv.amount)):
                    open_[iid] = Decimal(0)
                    settled[iid] = day
        left_over += amount
    return open_, settled, left_over


# --- shape ----------------------------------------------------------------------------------------

def test_counts(case):
    _, book, _ = case
    assert len(book.customers) == 40
    assert 280 <= len(book.invoices) <= 320
    assert 180 <= len(book.payments) <= 320
    assert 15 <= len(book.activities) <= 150
    assert book.plans == ()


def test_date_ranges(case):
    as_of, book, _ = case
    start = as_of - timedelta(days=250)  # eight months
    assert all(start <= i.invoice_date <= as_of for i in book.invoices)
    assert min(i.invoice_date for i in book.invoices) <= as_of - timedelta(days=220)
    assert all(i.invoice_date.weekday() < 5 for i in book.invoices)
    assert all(start <= p.date < as_of for p in book.payments)
    assert all(p.date.weekday() < 5 for p in book.payments)
    assert all(start <= a.date < as_of for a in book.activities)
    for inv in book.invoices:
        if inv.due_date is not None:
            assert inv.due_date > inv.invoice_date


def test_integrity(case):
    _, book, _ = case
    customers = {c.id for c in book.customers}
    invoices = {i.id for i in book.invoices}
    assert len(customers) == len(book.customers)
    assert len(invoices) == len(book.invoices)
    assert all(i.customer_id in customers for i in book.invoices)
    assert all(p.customer_id in customers for p in book.payments)
    assert all(a.customer_id in customers for a in book.activities)
    owner = {i.id: i.customer_id for i in book.invoices}
    for p in book.payments:
        if p.target is not None:
            assert owner[p.target] == p.customer_id
    for a in book.activities:
        assert all(owner[i] == a.customer_id for i in a.invoice_ids)
    # rows follow the sheet order, starting under the header
    for records in (book.customers, book.invoices, book.payments, book.activities):
        assert [r.row for r in records] == list(range(2, len(records) + 2))
    assert [p.date for p in book.payments] == sorted(p.date for p in book.payments)
    assert [a.date for a in book.activities] == sorted(a.date for a in book.activities)


def test_money_is_cents(case):
    _, book, _ = case
    amounts = [i.amount for i in book.invoices] + [p.amount for p in book.payments]
    amounts += [a.promise_amount for a in book.activities if a.promise_amount is not None]
    amounts += [c.credit_limit for c in book.customers if c.credit_limit is not None]
    assert all(a == a.quantize(CENT) for a in amounts)
    assert all(p.amount > 0 for p in book.payments)
    positive = [i.amount for i in book.invoices if i.amount > 0]
    assert 40 <= min(positive) and max(positive) < 50_000
    assert 300 < sorted(positive)[len(positive) // 2] < 5_000  # a B2B median


def test_customers_look_real(case):
    _, book, _ = case
    cs = book.customers
    assert {c.terms for c in cs} <= {15, 30, 45, 60, None}
    assert {15, 30, 45, 60} <= {c.terms for c in cs}
    assert 8 <= sum(c.credit_limit is not None for c in cs) <= 32
    own = [c for c in cs if c.late_fee is not None]
    assert 1 <= len(own) <= 2
    assert 2 <= sum(c.channel is Channel.MAIL for c in cs) <= 8
    for c in cs:
        assert c.name and c.contact and "@" in c.email and c.email.endswith(".example")
        assert "555-01" in c.phone
        assert "\n" in c.address and ", WA 98" in c.address


def test_settings_dict(case):
    as_of, book, settings = case
    keys = {k.key for k in schema.SETTINGS}
    assert set(settings) <= keys
    assert settings["Late Fee Policy"] == "Monthly Rate"
    assert settings["Late Fee Rate"] == Decimal("0.015")
    assert settings["Grace Days"] == 10
    assert settings["Early Discount"] == "2/10"
    assert settings["Locale"] == "en_US" and settings["Currency"] == "USD"
    assert settings["As Of Date"] == as_of
    for key in ("Company Name", "Company Address", "Company Phone", "Company Email", "Signatory",
                "Signatory Title"):
        assert settings[key]
    s = book.settings
    assert s.company_name == settings["Company Name"]
    assert s.late_fee.kind is FeeKind.MONTHLY_RATE and s.late_fee.rate == Decimal("0.015")
    assert s.early_discount.rate == Decimal("0.02") and s.early_discount.days == 10
    assert s.as_of == as_of


# --- the special cases ---------------------------------------------------------------------------

def test_credit_notes(case):
    _, book, _ = case
    credits = [i for i in book.invoices if i.amount < 0]
    assert 2 <= len(credits) <= 3
    ids = {i.id for i in book.invoices}
    for cn in credits:
        assert cn.notes.startswith("Applies to ") and cn.notes.split()[-1] in ids


def test_holds(case):
    _, book, _ = case
    holds = Counter((i.hold, i.customer_id) for i in book.invoices if i.hold)
    assert holds == {(Hold.DISPUTED, DEMO_ROLES["disputed"]): 1,
                     (Hold.ON_HOLD, DEMO_ROLES["on_hold"]): 1}
    for inv in book.invoices:
        if inv.hold:
            assert inv.notes
            assert not any(p.target == inv.id for p in book.payments)


def test_named_payments(case):
    _, book, _ = case
    assert sum(p.target is not None for p in book.payments) >= 2


def test_partial_payments(case):
    _, book, _ = case
    amounts = {i.id: i.amount for i in book.invoices}
    partial = [p for p in book.payments if p.target and p.amount < amounts[p.target]
               and p.customer_id == DEMO_ROLES["partial"]]
    assert partial


def test_credit_hold_customer_has_an_invoice_over_90_days_overdue(case):
    as_of, book, _ = case
    cid = DEMO_ROLES["credit_hold"]
    customers = {c.id: c for c in book.customers}
    open_, _, _ = _replay(book, cid)
    worst = max((as_of - _due(i, customers)).days for i in book.invoices
                if i.id in open_ and open_[i.id] > 0)
    assert worst > 90
    # nobody else has one
    for other in customers:
        if other == cid:
            continue
        left, _, _ = _replay(book, other)
        for inv in book.invoices:
            if left.get(inv.id, 0) > 0 and not inv.hold:
                assert (as_of - _due(inv, customers)).days <= 90, (other, inv.id)


def test_over_credit_limit(case):
    _, book, _ = case
    cid = DEMO_ROLES["over_limit"]
    cust = next(c for c in book.customers if c.id == cid)
    open_, _, _ = _replay(book, cid)
    assert cust.credit_limit is not None and sum(open_.values()) > cust.credit_limit


def test_overpayment_leaves_unapplied_credit(case):
    _, book, _ = case
    cid = DEMO_ROLES["overpaid"]
    open_, _, left_over = _replay(book, cid)
    assert left_over > 0
    assert sum(open_.values()) == 0
    invoiced = sum(i.amount for i in book.invoices if i.customer_id == cid)
    paid = sum(p.amount for p in book.payments if p.customer_id == cid)
    assert paid - invoiced == left_over


def _avg_days_late(book, cid):
    customers = {c.id: c for c in book.customers}
    _, settled, _ = _replay(book, cid)
    lates = [(day - _due(i, customers)).days for i in book.invoices
             for iid, day in settled.items() if i.id == iid]
    return sum(lates) / len(lates) if lates else None


def test_one_chronic_late_payer(case):
    _, book, _ = case
    chronic = _avg_days_late(book, DEMO_ROLES["chronic_late"])
    assert chronic > 30
    assert _avg_days_late(book, DEMO_ROLES["prompt"]) < 5
    for c in book.customers:
        if c.id not in (DEMO_ROLES["chronic_late"], DEMO_ROLES["inactive"]):
            avg = _avg_days_late(book, c.id)
            assert avg is None or avg < chronic - 10, c.id


def test_discount_takers(case):
    _, book, _ = case
    cid = DEMO_ROLES["discount"]
    by_id = {i.id: i for i in book.invoices}
    _, settled, _ = _replay(book, cid)
    assert settled
    for iid, day in settled.items():
        inv = by_id[iid]
        assert day <= inv.invoice_date + timedelta(days=10)
    paid = sum(p.amount for p in book.payments if p.customer_id == cid)
    assert paid == sum(by_id[i].amount - cents(by_id[i].amount * Decimal("0.02")) for i in settled)


def test_activity_log(case):
    as_of, book, _ = case
    kinds = Counter(a.type for a in book.activities)
    assert kinds[ActivityType.LETTER] >= 3 and kinds[ActivityType.CALL] >= 3
    assert kinds[ActivityType.PROMISE] == 1
    assert ActivityType.PLAN not in kinds
    ladder_stages = {s.stage for s in book.settings.ladder}
    for a in book.activities:
        if a.type is ActivityType.LETTER:
            assert a.stage in ladder_stages and a.invoice_ids and a.document
    (promise,) = [a for a in book.activities if a.type is ActivityType.PROMISE]
    assert promise.customer_id == DEMO_ROLES["promise"]
    assert promise.promise_date > as_of
    assert promise.promise_amount > 0
    assert promise.date < as_of
    # a stage is never sent twice for the same invoice
    sent = defaultdict(set)
    for a in book.activities:
        if a.type is ActivityType.LETTER:
            for iid in a.invoice_ids:
                assert a.stage not in sent[iid], (iid, a.stage)
                sent[iid].add(a.stage)


def test_inactive_customer_and_own_policies(case):
    _, book, _ = case
    assert not any(i.customer_id == DEMO_ROLES["inactive"] for i in book.invoices)
    policy = {c.id: c.late_fee for c in book.customers if c.late_fee is not None}
    assert policy[DEMO_ROLES["no_fees"]].kind is FeeKind.NONE
    if DEMO_ROLES["flat_fee"] in policy:
        assert policy[DEMO_ROLES["flat_fee"]].kind is FeeKind.FLAT


def test_batch_payer_pays_several_invoices_at_once(case):
    _, book, _ = case
    cid = DEMO_ROLES["batch"]
    payments = [p for p in book.payments if p.customer_id == cid]
    invoices = [i for i in book.invoices if i.customer_id == cid]
    assert payments and len(payments) < len(invoices)


# --- determinism ---------------------------------------------------------------------------------

def test_demo_is_deterministic():
    assert demo_book(AS_OF, 7) == demo_book(AS_OF, 7)
    assert demo_book(AS_OF) == demo_book(AS_OF, 7)
    assert demo_book(AS_OF, 8)[0].invoices != demo_book(AS_OF, 7)[0].invoices


def test_demo_moves_with_as_of():
    a, _ = demo_book(AS_OF, 7)
    b, _ = demo_book(AS_OF + timedelta(days=7), 7)  # the same weekday: the same business days
    assert [i.invoice_date + timedelta(days=7) for i in a.invoices] == \
        [i.invoice_date for i in b.invoices]
    assert [i.amount for i in a.invoices] == [i.amount for i in b.invoices]


# --- synthetic books -----------------------------------------------------------------------------

def test_synthetic_counts_and_integrity():
    book, settings = synthetic_book(5_000, 300, 4_000, AS_OF, seed=3)
    assert (len(book.invoices), len(book.customers), len(book.payments)) == (5_000, 300, 4_000)
    ids = {c.id for c in book.customers}
    assert len(ids) == 300
    inv_ids = {i.id for i in book.invoices}
    assert len(inv_ids) == 5_000
    assert all(i.customer_id in ids for i in book.invoices)
    assert all(p.customer_id in ids for p in book.payments)
    assert all(a.customer_id in ids for a in book.activities)
    assert all(p.target in inv_ids for p in book.payments if p.target)
    assert all(AS_OF - timedelta(days=365) < i.invoice_date <= AS_OF for i in book.invoices)
    assert all(p.date <= AS_OF for p in book.payments)
    assert all(i.amount == i.amount.quantize(CENT) for i in book.invoices)
    assert all(p.amount > 0 and p.amount == p.amount.quantize(CENT) for p in book.payments)
    credits = sum(i.amount < 0 for i in book.invoices)
    assert 10 <= credits <= 100
    assert 5 <= sum(i.hold is not None for i in book.invoices) <= 60
    # a few big accounts, a long tail
    per = Counter(i.customer_id for i in book.invoices).most_common()
    assert per[0][1] > 5 * per[-1][1]
    assert set(settings) <= {k.key for k in schema.SETTINGS}


def test_synthetic_is_deterministic():
    assert synthetic_book(500, 20, 400, AS_OF, seed=1) == synthetic_book(500, 20, 400, AS_OF, 1)
    assert synthetic_book(500, 20, 400, AS_OF, 1) != synthetic_book(500, 20, 400, AS_OF, 2)


def test_synthetic_edges():
    book, _ = synthetic_book(0, 1, 0, AS_OF)
    assert book.invoices == () and len(book.customers) == 1
    with pytest.raises(ValueError):
        synthetic_book(10, 0, 0, AS_OF)


def test_synthetic_is_fast():
    start = time.perf_counter()
    book, _ = synthetic_book(50_000, 2_000, 40_000, AS_OF, seed=5)
    assert len(book.invoices) == 50_000
    assert time.perf_counter() - start < 15  # about 1.5 s on a laptop; generous for CI
