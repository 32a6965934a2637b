"""Sample books: a believable small business for demos and tests, big synthetic ones for benchmarks.

:func:`demo_book` is Harborline Wholesale Supply, a Tacoma distributor of foodservice packaging and
janitorial supplies: 40 customers and about 300 invoices over the eight months before ``as_of``.
Payment habits differ by customer, and the awkward cases a collector meets are all there (see
:data:`DEMO_ROLES`). :func:`synthetic_book` makes books of any size, fast.

Both are deterministic: the same ``as_of`` and ``seed`` give the same records (no today()).
E-mail domains are ``.example`` and phone numbers 555-01xx, both reserved for fiction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from .model import (
    DEFAULT_LADDER,
    Activity,
    ActivityType,
    Book,
    Channel,
    Customer,
    EarlyDiscount,
    FeeKind,
    FeePolicy,
    Hold,
    Invoice,
    Payment,
    Settings,
)
from .money import ZERO, cents

# --- the business ------------------------------------------------------------------------------

COMPANY = {
    "Company Name": "Harborline Wholesale Supply, Inc.",
    "Company Address": "1450 Port Industrial Way, Suite 200\nTacoma, WA 98421",
    "Company Phone": "(253) 555-0148",
    "Company Email": "ar@harborlinesupply.example",
    "Signatory": "Dana Whitfield",
    "Signatory Title": "Accounts Receivable Manager",
}

LATE_FEE = FeePolicy(FeeKind.MONTHLY_RATE, rate=Decimal("0.015"), amount=Decimal("25.00"),
                     grace_days=10)
DISCOUNT = EarlyDiscount(Decimal("0.02"), 10)

# Who plays which part. Fixed ids, whatever the seed.
DEMO_ROLES: dict[str, str] = {
    "prompt": "C001",          # pays around the due date
    "discount": "C011",        # takes the 2/10 early-payment discount
    "slow": "C002",            # pays 1-5 weeks late
    "chronic_late": "C020",    # always 30-60 days late
    "over_limit": "C004",      # open balance above its credit limit
    "credit_hold": "C019",     # stopped paying; an invoice more than 90 days overdue
    "promise": "C017",         # slow, has promised to pay by a date after as_of
    "partial": "C008",         # pays in parts
    "disputed": "C005",        # an invoice with Hold = Disputed
    "on_hold": "C033",         # an invoice with Hold = On hold
    "overpaid": "C036",        # paid an invoice twice: unapplied credit
    "no_fees": "C009",         # own Late Fee Policy: None (school district contract)
    "flat_fee": "C012",        # own Late Fee Policy: Flat
    "inactive": "C037",        # new account, no invoices yet
    "batch": "C007",           # one payment covers several invoices
}


@dataclass(frozen=True, slots=True)
class _Master:
    id: str
    name: str
    segment: str
    street: str
    city: str
    zip: str
    area: str
    domain: str
    terms: int | None
    limit: int | None
    profile: str  # prompt, discount, slow, chronic, hold, overpaid, inactive
    weight: float  # share of the invoices
    size: int  # median invoice amount in dollars
    channel: Channel = Channel.EMAIL
    method: str = "Check"
    po: bool = False
    notes: str = ""


_E, _M = Channel.EMAIL, Channel.MAIL

CUSTOMERS: tuple[_Master, ...] = (
    _Master("C001", "Bluefin Bistro", "restaurant", "2210 Western Ave", "Seattle", "98121", "206",
            "bluefinbistro", 30, 8000, "prompt", 1.4, 1100, method="ACH"),
    _Master("C002", "Rainier Grill & Taphouse", "restaurant", "915 Pacific Ave", "Tacoma",
            "98402", "253", "rainiergrill", 30, 10000, "slow", 1.3, 1350),
    _Master("C003", "Cedar & Salt Kitchen", "restaurant", "412 Capitol Way S", "Olympia", "98501",
            "360", "cedarandsalt", 30, None, "prompt", 0.9, 780, method="Card"),
    _Master("C004", "Puget Sound Catering Co.", "catering", "3300 4th Ave S", "Seattle", "98134",
            "206", "pugetsoundcatering", 30, 15000, "slow", 1.2, 3400, method="ACH", po=True,
            notes="Large event orders; credit limit reviewed each March."),
    _Master("C005", "Harbor View Hotel", "hotel", "1320 Broadway", "Tacoma", "98402", "253",
            "harborviewhotel", 45, 40000, "prompt", 1.5, 3900, method="ACH", po=True),
    _Master("C006", "Evergreen Suites Olympia", "hotel", "2300 Evergreen Park Dr SW", "Olympia",
            "98502", "360", "evergreensuites", 45, 20000, "prompt", 1.0, 2600, po=True),
    _Master("C007", "North Fork Janitorial Services LLC", "janitorial", "8120 Evergreen Way",
            "Everett", "98203", "425", "northforkjanitorial", 30, 12000, "prompt", 1.6, 1900,
            method="Check", notes="Pays by one check per month covering all open invoices."),
    _Master("C008", "Sparkle Pro Commercial Cleaning", "janitorial", "22415 84th Ave S", "Kent",
            "98032", "253", "sparklepro", 30, 15000, "slow", 1.3, 1700,
            notes="Often pays in two parts; partial payments agreed by phone."),
    _Master("C009", "Commencement Bay School District - Nutrition Services", "school",
            "3801 S Cedar St", "Tacoma", "98409", "253", "cbsd", 60, None, "slow", 1.2, 4800,
            channel=_M, po=True,
            notes="Contract 2023-117: no late fees. Invoices must quote the PO number."),
    _Master("C010", "Peninsula Community College Dining", "school", "1600 Chester Ave",
            "Bremerton", "98337", "360", "peninsulacc", 60, None, "prompt", 0.8, 2900, po=True),
    _Master("C011", "Mountain Brew Coffee Roasters", "cafe", "3105 Harborview Dr", "Gig Harbor",
            "98335", "253", "mountainbrew", 15, 5000, "discount", 1.2, 650, method="ACH"),
    _Master("C012", "Daily Grind Espresso", "cafe", "118 S Meridian", "Puyallup", "98371", "253",
            "dailygrind", 30, 4000, "prompt", 1.1, 520, method="Card",
            notes="Three locations; all billed to the Meridian office."),
    _Master("C013", "Green Leaf Market", "grocery", "10509 Gravelly Lake Dr SW", "Lakewood",
            "98499", "253", "greenleafmarket", 30, 12000, "prompt", 1.0, 1650),
    _Master("C014", "Summit Property Management", "property", "10900 NE 8th St, Suite 900",
            "Bellevue", "98004", "425", "summitpm", 30, None, "discount", 0.9, 1250,
            method="ACH"),
    _Master("C015", "Lakeside Senior Living", "healthcare", "33400 9th Ave S", "Federal Way",
            "98003", "253", "lakesideseniorliving", 45, 8000, "prompt", 0.9, 1150, channel=_M,
            po=True),
    _Master("C016", "St. Brendan Medical Clinic", "healthcare", "1802 S Yakima Ave", "Tacoma",
            "98405", "253", "stbrendanclinic", 45, None, "prompt", 0.7, 880),
    _Master("C017", "Old Town Pizza Co.", "restaurant", "2208 N 30th St", "Tacoma", "98403",
            "253", "oldtownpizza", 30, 6000, "slow", 1.1, 940),
    _Master("C018", "Pho Saigon Kitchen", "restaurant", "23830 104th Ave SE", "Kent", "98031",
            "253", "phosaigonkitchen", 15, None, "prompt", 0.8, 610, method="Card"),
    _Master("C019", "Ferry Dock Fish & Chips", "restaurant", "707 Bay St", "Port Orchard",
            "98366", "360", "ferrydockfish", 30, None, "hold", 1.0, 830,
            notes="New owner since last fall; ask for Marco."),
    _Master("C020", "Cascade Brewing Collective", "brewery", "2109 E 11th St", "Tacoma", "98421",
            "253", "cascadebrewing", 30, 12000, "chronic", 1.1, 1450,
            notes="Always pays late; consider weekly invoicing."),
    _Master("C021", "Stadium District Deli", "restaurant", "201 N E St", "Tacoma", "98403",
            "253", "stadiumdeli", 15, None, "prompt", 0.6, 390, method="Card"),
    _Master("C022", "Narrows Bay Marina Cafe", "cafe", "3311 Harborview Dr", "Gig Harbor",
            "98332", "253", "narrowsbaymarina", None, None, "prompt", 0.5, 420),
    _Master("C023", "Pacific Crest Events & Rentals", "catering", "1202 37th St NW", "Auburn",
            "98001", "253", "pacificcrestevents", 30, 10000, "slow", 0.9, 2750, po=True),
    _Master("C024", "Brightside Daycare Centers", "school", "1515 E Main", "Puyallup", "98372",
            "253", "brightsidedaycare", None, None, "prompt", 0.6, 560),
    _Master("C025", "Silver Lake Golf Club", "club", "1500 Silver Lake Rd", "Everett", "98208",
            "425", "silverlakegolf", 30, 10000, "prompt", 0.8, 1950, po=True),
    _Master("C026", "Kessler Properties - Union Station Tower", "property",
            "1717 Pacific Ave, Suite 300", "Tacoma", "98402", "253", "kesslerproperties", 60,
            None, "prompt", 0.8, 1400, method="ACH",
            notes="Invoices go through their AP portal; allow the full 60 days."),
    _Master("C027", "Riverbend Family Restaurant", "restaurant", "15710 Main St E", "Sumner",
            "98390", "253", "riverbendfamily", 30, 4000, "slow", 0.8, 720),
    _Master("C028", "Taqueria El Sol", "restaurant", "9523 Bridgeport Way SW", "Lakewood",
            "98499", "253", "taqueriaelsol", 15, None, "prompt", 0.7, 480, method="Card"),
    _Master("C029", "The Copper Kettle Bakery", "cafe", "508 4th Ave E", "Olympia", "98501",
            "360", "copperkettlebakery", 15, None, "prompt", 0.6, 450),
    _Master("C030", "Westside Athletic Club", "club", "5801 6th Ave", "Tacoma", "98406", "253",
            "westsideathletic", 30, 6000, "slow", 0.7, 1050),
    _Master("C031", "Fircrest Veterinary Hospital", "healthcare", "1030 Regents Blvd",
            "Fircrest", "98466", "253", "fircrestvet", 30, None, "discount", 0.6, 690,
            method="ACH"),
    _Master("C032", "Gateway Inn & Suites", "hotel", "3501 Pacific Hwy E", "Fife", "98424",
            "253", "gatewayinn", 45, 15000, "prompt", 0.9, 2300, po=True),
    _Master("C033", "PrimeClean Facility Solutions Inc.", "janitorial", "601 SW 41st St",
            "Renton", "98057", "425", "primeclean", 30, 25000, "prompt", 1.2, 2450,
            method="ACH"),
    _Master("C034", "Hilltop Community Church", "other", "1115 MLK Jr Way", "Tacoma", "98405",
            "253", "hilltopchurch", None, None, "prompt", 0.4, 260, channel=_M),
    _Master("C035", "Commuter Coffee Kiosks LLC", "cafe", "424 E 25th St", "Tacoma", "98421",
            "253", "commutercoffee", None, 3000, "prompt", 0.5, 340, method="Card"),
    _Master("C036", "Boardwalk Burger Shack", "restaurant", "5100 Grand Loop", "Ruston", "98407",
            "253", "boardwalkburger", 30, None, "overpaid", 0.6, 690, method="ACH",
            notes="Closed for a remodel; reopening date not set yet."),
    _Master("C037", "Northwest Elite Cheer & Gym", "club", "4320 Auburn Way N", "Auburn",
            "98002", "253", "nweliteathletics", 30, 2500, "inactive", 0.0, 400,
            notes="Account opened last week; first order expected soon."),
    _Master("C038", "Bayside Apartments HOA", "property", "3720 Harborview Dr", "Gig Harbor",
            "98332", "253", "baysidehoa", 30, None, "prompt", 0.4, 520, channel=_M),
    _Master("C039", "Orchard Street Cafe", "cafe", "6707 Orchard St W", "University Place",
            "98467", "253", "orchardstreetcafe", 15, None, "prompt", 0.5, 380),
    _Master("C040", "Emerald City Studio Catering", "catering", "1000 Airport Way S", "Seattle",
            "98134", "206", "emeraldcitystudio", None, 8000, "prompt", 0.7, 2100, po=True),
)

_FIRST = ("Maria", "James", "Linda", "Robert", "Jennifer", "Michael", "Patricia", "David", "Susan",
          "Daniel", "Karen", "Kevin", "Nancy", "Brian", "Lisa", "Jason", "Angela", "Eric",
          "Michelle", "Tony", "Grace", "Samuel", "Rachel", "Marco", "Hannah", "Luis", "Emily",
          "Trevor", "Olivia", "Nathan", "Priya", "Quinn", "Sofia", "Derek", "Thu", "Omar")
_LAST = ("Nguyen", "Johnson", "Martinez", "Anderson", "Kim", "Peterson", "Ramirez", "Larsen",
         "O'Brien", "Schmidt", "Tran", "Walker", "Hansen", "Lopez", "Chen", "Baker", "Fischer",
         "Murphy", "Patel", "Olson", "Reyes", "Sato", "Bergstrom", "Castillo", "Doyle", "Yamada")
_OWNER_TITLES = ("Owner", "General Manager", "Purchasing", "Operations Manager", "Chef/Owner",
                 "Facilities Manager")

_PRODUCTS: dict[str, tuple[str, ...]] = {
    "restaurant": (
        "Takeout containers, 9x9 hinged (200 ct) and napkins",
        "Nitrile gloves L/XL, deli wrap, foil sheets",
        "Can liners 40-45 gal, degreaser concentrate, sanitizer tablets",
        "Pizza boxes 14in (50 ct x 4), portion cups and lids",
        "Kraft paper bags, cutlery kits, straws (paper)",
        "Dish machine detergent and rinse aid, 5 gal each",
    ),
    "cafe": (
        "Hot cups 12/16 oz with lids, sleeves, stir sticks",
        "Cold cups 20 oz, dome lids, paper straws",
        "Bakery bags, pastry tissue, napkins",
        "Compostable cups 12 oz and lids, sanitizer",
    ),
    "catering": (
        "Disposable chafers, Sterno fuel (72 ct), foil pans",
        "Event supply order: plates, cutlery, napkins, cups",
        "Catering trays with lids, serving utensils, table covers",
        "Foil pans full/half size, film wrap, gloves",
    ),
    "hotel": (
        "Guest amenities restock: soap, shampoo, lotion",
        "Housekeeping chemicals, microfiber cloths, liners",
        "Banquet disposables and breakfast buffet supplies",
        "Toilet tissue (96 rolls), hand towels, facial tissue",
    ),
    "janitorial": (
        "Floor cleaner concentrate (4 x 1 gal), mop heads, liners",
        "Roll towels, toilet tissue, hand soap refills",
        "Glass cleaner, disinfectant RTU, trigger sprayers",
        "Can liners 55 gal (case of 100 x 6), microfiber mops",
        "Stripper and finish, 5 gal each; floor pads",
    ),
    "school": (
        "Cafeteria trays, sporks, milk straws",
        "Food service gloves, hairnets, sanitizer",
        "Lunch program disposables: trays, napkins, cutlery",
        "Kitchen chemicals and dish machine detergent",
    ),
    "healthcare": (
        "Exam table paper, gloves, disinfectant wipes",
        "Paper towels, hand soap refills, sanitizer stands",
        "Dining room disposables and kitchen chemicals",
    ),
    "property": (
        "Common-area restroom supplies, can liners",
        "Ice melt (50 lb x 20), entrance mats",
        "Janitorial closet restock: chemicals, paper, liners",
    ),
    "grocery": (
        "Deli containers, produce bags, labels",
        "Meat trays, film wrap, gloves",
        "Checkout bags (paper), receipt rolls, cleaning supplies",
    ),
    "brewery": (
        "Taproom cups 16 oz, napkins, sanitizer",
        "Keg line cleaner, glass washer detergent",
        "Food truck disposables: boats, forks, napkins",
    ),
    "club": (
        "Locker room supplies: towels, soap, liners",
        "Snack bar disposables and cups",
        "Disinfectant, wipes and dispensers",
    ),
    "other": (
        "Hall kitchen supplies: cups, plates, napkins",
        "Restroom paper and soap refills",
    ),
}

# Days from the due date to payment, by habit.
_DELAYS = {"prompt": (-6, 3), "slow": (1, 18), "chronic": (30, 60), "hold": (3, 20),
           "overpaid": (-5, 2), "partial": (-3, 10)}

_DISPUTE_NOTE = "Customer reports 6 cases of gloves short on delivery; awaiting the signed POD."
_ON_HOLD_NOTE = "Billed at list instead of contract price; corrected invoice to follow."
_EXTENDED_NOTE = "Extended terms approved by D. Whitfield for this order."


PLAN_RATE = Decimal("0.08")
GOVERNING_LAW = "the State of Washington"


def _settings(as_of: date, company_name: str = COMPANY["Company Name"]) -> Settings:
    """The parsed twin of :func:`demo_settings`, as the reader would build it."""
    return Settings(
        company_name=company_name, company_address=COMPANY["Company Address"],
        company_phone=COMPANY["Company Phone"], company_email=COMPANY["Company Email"],
        signatory=COMPANY["Signatory"], signatory_title=COMPANY["Signatory Title"],
        currency="USD", locale="en_US", holiday_country="US", holiday_region="WA", as_of=as_of,
        default_terms=30, late_fee=LATE_FEE, early_discount=DISCOUNT, plan_rate=PLAN_RATE,
        governing_law=GOVERNING_LAW,
    )


def demo_settings(as_of: date) -> dict[str, object]:
    """The Settings sheet values of the demo business, typed as a workbook would hold them."""
    return {
        **COMPANY,
        "Currency": "USD",
        "Locale": "en_US",
        "Holiday Country": "US",
        "Holiday Region": "WA",
        "As Of Date": as_of,
        "Aging Basis": "Due Date",
        "Aging Buckets": "30, 60, 90",
        "Default Terms": 30,
        "Late Fee Policy": LATE_FEE.kind.value,
        "Late Fee Rate": LATE_FEE.rate,
        "Late Fee Amount": LATE_FEE.amount,
        "Grace Days": LATE_FEE.grace_days,
        "Early Discount": f"{int(DISCOUNT.rate * 100)}/{DISCOUNT.days}",
        "Pay By Business Days": 10,
        "Credit Hold Days": 90,
        "Chronic Late Days": 15,
        "Plan Grace Days": 10,
        "Plan Rate": PLAN_RATE,
        "Governing Law": GOVERNING_LAW,
        "Letters Folder": "letters",
    }


def _business_day(day: date) -> date:
    """Saturday and Sunday roll to Monday."""
    wd = day.weekday()
    return day + timedelta(days=7 - wd) if wd >= 5 else day


def _amount(rng: random.Random, median: float) -> Decimal:
    value = median * rng.lognormvariate(0, 0.45)
    if rng.random() < 0.15:  # some orders are a round case count
        value = round(value / 25) * 25 + rng.choice((0, 0.5, 0.75))
    return cents(Decimal(f"{max(value, 48.0):.2f}"))


class _Demo:
    def __init__(self, as_of: date, seed: int) -> None:
        self.as_of = as_of
        self.rng = random.Random(f"arsheets-demo:{seed}")
        self.start = as_of - timedelta(days=243)  # about eight months
        self.masters = {m.id: m for m in CUSTOMERS}
        self.people: dict[str, tuple[str, str, str]] = {}  # id -> contact, title, ap contact
        self.invoices: list[dict] = []
        self.payments: list[dict] = []
        self.activities: list[Activity] = []

    # -- customers ---------------------------------------------------------------------------

    def customers(self) -> tuple[Customer, ...]:
        rng = self.rng
        out = []
        for n, m in enumerate(CUSTOMERS):
            contact = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            if m.id == DEMO_ROLES["credit_hold"]:
                contact = "Marco " + rng.choice(_LAST)
            title = rng.choice(_OWNER_TITLES)  # said on the phone, kept out of the Contact cell
            ap = "" if m.segment in ("cafe", "other") and rng.random() < 0.7 else \
                f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            self.people[m.id] = (contact, title, ap)
            first = (ap or contact).split()[0].lower()
            email = rng.choice((f"ap@{m.domain}.example", f"accounting@{m.domain}.example",
                                f"{first}@{m.domain}.example"))
            phone = f"({m.area}) 555-01{n * 2 + rng.randrange(2):02d}"
            lines = [*m.street.split(", "), f"{m.city}, WA {m.zip}"]
            # The Customers sheet names only the policy; its rate, amount and grace days are
            # the Settings ones, as the reader builds it.
            policy = None
            if m.id == DEMO_ROLES["no_fees"]:
                policy = replace(LATE_FEE, kind=FeeKind.NONE)
            elif m.id == DEMO_ROLES["flat_fee"]:
                policy = replace(LATE_FEE, kind=FeeKind.FLAT)
            out.append(Customer(
                id=m.id, name=m.name, row=n + 2, contact=contact,
                ap_contact=ap, email=email, phone=phone, address="\n".join(lines),
                terms=m.terms, credit_limit=Decimal(m.limit).quantize(ZERO) if m.limit else None,
                late_fee=policy, channel=m.channel, notes=m.notes,
            ))
        return tuple(out)

    # -- invoices ----------------------------------------------------------------------------

    def _dates(self, count: int, first: date, last: date) -> list[date]:
        span = (last - first).days
        days = sorted(self.rng.randrange(span + 1) for _ in range(count))
        latest = last - timedelta(days=max(last.weekday() - 4, 0))  # a weekend as_of: Friday
        return [min(_business_day(first + timedelta(days=d)), latest) for d in days]

    def plan_invoices(self, total: int = 290) -> None:
        rng = self.rng
        active = [m for m in CUSTOMERS if m.weight > 0]
        weight = sum(m.weight for m in active)
        shares = [(m, total * m.weight / weight) for m in active]
        counts = {m.id: int(s) for m, s in shares}
        left = total - sum(counts.values())
        for m, _ in sorted(shares, key=lambda p: -(p[1] - int(p[1])))[:left]:
            counts[m.id] += 1
        last_day = self.as_of
        for m in active:
            first, last = self.start, last_day
            if m.profile == "overpaid":
                last = self.as_of - timedelta(days=80)  # closed for a remodel since
            for day in self._dates(counts[m.id], first, last):
                self._invoice(m, day)
        a = self.as_of
        # Forced cases, placed relative to as_of.
        self._invoice(self.masters[DEMO_ROLES["credit_hold"]], _business_day(a - timedelta(140)))
        self._invoice(self.masters[DEMO_ROLES["credit_hold"]], _business_day(a - timedelta(122)))
        self._invoice(self.masters[DEMO_ROLES["credit_hold"]], _business_day(a - timedelta(95)))
        over = self.masters[DEMO_ROLES["over_limit"]]
        for back, amount in ((28, "5850.00"), (16, "6420.50"), (6, "4980.25")):  # none due yet
            self._invoice(over, _business_day(a - timedelta(back)), Decimal(amount),
                          "Gala event series: full-service disposables and chafers")
        disputed = self._invoice(self.masters[DEMO_ROLES["disputed"]],
                                 _business_day(a - timedelta(58)))
        disputed.update(hold=Hold.DISPUTED, notes=_DISPUTE_NOTE)
        held = self._invoice(self.masters[DEMO_ROLES["on_hold"]], _business_day(a - timedelta(38)))
        held.update(hold=Hold.ON_HOLD, notes=_ON_HOLD_NOTE)
        # A few orders with negotiated longer terms.
        big = [inv for inv in self.invoices if inv["amount"] > 3000 and not inv.get("hold")]
        for inv in sorted(big, key=lambda i: (i["date"], i["cid"]))[3::9][:4]:
            inv["due_explicit"] = True
            inv["due"] += timedelta(days=15)
            inv["notes"] = _EXTENDED_NOTE
        rng.shuffle(self.invoices)  # then sorted: equal dates get a seeded order
        self.invoices.sort(key=lambda i: i["date"])
        for n, inv in enumerate(self.invoices):
            inv["id"] = f"INV-{10001 + n}"

    def _invoice(self, m: _Master, day: date, amount: Decimal | None = None,
                 description: str | None = None) -> dict:
        rng = self.rng
        terms = m.terms if m.terms is not None else 30
        po = ""
        if m.po or rng.random() < 0.15:
            po = (f"PO-{rng.randrange(1000, 9999)}" if m.segment != "school"
                  else f"45{rng.randrange(10_000_000, 99_999_999)}")
        inv = {
            "cid": m.id, "date": day, "due": day + timedelta(days=terms), "due_explicit": False,
            "amount": amount if amount is not None else _amount(rng, m.size),
            "description": description or rng.choice(_PRODUCTS[m.segment]), "po": po,
            "notes": "", "hold": None,
        }
        self.invoices.append(inv)
        return inv

    def credit_notes(self) -> None:
        """Three credit memos against earlier invoices, numbered CM-2001..."""
        wanted = (("C001", "Credit: 4 cases of takeout containers damaged in delivery", "0.22"),
                  ("C013", "Credit: returned deli containers (wrong size shipped)", "0.35"),
                  ("C025", "Credit: pricing adjustment per quote Q-3318", "0.10"))
        for n, (cid, text, share) in enumerate(wanted):
            candidates = [i for i in self.invoices if i["cid"] == cid and not i["hold"]
                          and self.start + timedelta(30) < i["date"] < self.as_of - timedelta(50)]
            if not candidates:
                continue
            original = candidates[len(candidates) // 2]
            amount = -cents(original["amount"] * Decimal(share))
            day = _business_day(original["date"] + timedelta(days=6 + n))
            self.invoices.append({
                "id": f"CM-{2001 + n}", "cid": cid, "date": day, "due": day,
                "due_explicit": False, "amount": amount,
                "description": f"{text} ({original['id']})", "po": original["po"],
                "notes": f"Applies to {original['id']}", "hold": None, "credit_for": original["id"],
            })
        self.invoices.sort(key=lambda i: (i["date"], i["id"]))

    # -- payments ----------------------------------------------------------------------------

    def plan_payments(self) -> None:
        rng, a = self.rng, self.as_of
        by_customer: dict[str, list[dict]] = {}
        for inv in self.invoices:
            by_customer.setdefault(inv["cid"], []).append(inv)
        credits = {i["credit_for"]: i for i in self.invoices if i["amount"] < 0}
        for m in CUSTOMERS:
            invs = [i for i in by_customer.get(m.id, ()) if i["amount"] > 0]
            last_paid = self.start
            paid_count = 0
            held_since = min((i["date"] for i in invs if i["hold"]), default=None)
            for inv in invs:
                if inv["hold"]:
                    continue
                due = inv["due"]
                amount = inv["amount"]
                if inv["id"] in credits:
                    amount = amount + credits[inv["id"]]["amount"]  # short-paid by the credit
                if m.profile == "discount":  # always inside the window, in invoice order
                    when = max(inv["date"] + timedelta(days=rng.randint(4, 9)), last_paid)
                    if when.weekday() >= 5:
                        when = max(when - timedelta(days=when.weekday() - 4), last_paid)
                    if when >= a:
                        break  # not paid yet (the discount is still on offer), nor any later one
                    last_paid = when
                    self._pay(m, when, amount - cents(DISCOUNT.rate * inv["amount"]),
                              inv["id"] if held_since and when >= held_since else None,
                              "2% discount taken")
                    continue
                lo, hi = _DELAYS["partial" if m.id == DEMO_ROLES["partial"] else m.profile]
                when = _business_day(due + timedelta(days=rng.randint(lo, hi)))
                when = max(when, inv["date"] + timedelta(days=2), last_paid)
                when = _business_day(when)
                if m.profile == "hold" and due > a - timedelta(days=135):
                    break  # stopped paying
                if m.profile == "overpaid":
                    when = min(when, a - timedelta(days=50))
                if when > a - timedelta(days=1):
                    continue
                last_paid = when
                paid_count += 1
                named = held_since is not None and when >= held_since
                if m.id == DEMO_ROLES["partial"]:
                    partial = paid_count % 3 == 1  # every third invoice, from the first
                else:
                    partial = m.profile == "slow" and rng.random() < 0.05
                if partial:
                    first = cents(amount * Decimal(rng.choice(("0.4", "0.5", "0.6"))))
                    self._pay(m, when, first, inv["id"] if m.id == DEMO_ROLES["partial"] else None,
                              "partial payment")
                    rest_day = _business_day(when + timedelta(days=rng.randint(7, 20)))
                    if rest_day < a:
                        self._pay(m, rest_day, amount - first, None, "")
                        last_paid = rest_day
                    continue
                self._pay(m, when, amount, inv["id"] if named else None, "")
            if m.profile == "hold":
                # One last partial payment, then nothing.
                open_invs = [i for i in invs if i["due"] > a - timedelta(days=135)]
                if open_invs:
                    day = _business_day(a - timedelta(days=rng.randint(64, 75)))
                    self._pay(m, day, cents(open_invs[0]["amount"] * Decimal("0.4")), None,
                              "partial payment")
            if m.profile == "overpaid" and self.payments:
                mine = [p for p in self.payments if p["cid"] == m.id]
                if mine:
                    dup = mine[-1]
                    day = _business_day(dup["date"] + timedelta(days=1))
                    self._pay(m, day, dup["amount"], None, "duplicate ACH")
        self._batch(DEMO_ROLES["batch"])
        self.payments.sort(key=lambda p: (p["date"], p["cid"]))

    def _pay(self, m: _Master, day: date, amount: Decimal, target: str | None, note: str) -> None:
        self.payments.append({"cid": m.id, "date": day, "amount": amount, "target": target,
                              "method": m.method, "note": note})

    def _batch(self, cid: str) -> None:
        """A customer who sends one check a month for everything paid that month."""
        mine = [p for p in self.payments if p["cid"] == cid]
        if not mine:
            return
        self.payments = [p for p in self.payments if p["cid"] != cid]
        months: dict[tuple[int, int], list[dict]] = {}
        for p in mine:
            months.setdefault((p["date"].year, p["date"].month), []).append(p)
        for group in months.values():
            last = max(p["date"] for p in group)
            self.payments.append({
                "cid": cid, "date": last, "amount": sum((p["amount"] for p in group), ZERO),
                "target": None, "method": "Check",
                "note": f"covers {len(group)} invoices" if len(group) > 1 else ""})

    def payment_records(self) -> tuple[Payment, ...]:
        rng = self.rng
        checks = {m.id: rng.randrange(1040, 9800) for m in CUSTOMERS}
        cards = {m.id: rng.randrange(1000, 9999) for m in CUSTOMERS}
        out = []
        for n, p in enumerate(self.payments):
            method = p["method"]
            if p["note"] == "duplicate ACH":
                method = "ACH"
            if method == "Check":
                checks[p["cid"]] += rng.randint(1, 6)
                ref = f"Chk {checks[p['cid']]}"
            elif method == "ACH":
                ref = f"ACH {p['date']:%m%d}-{rng.randrange(1000, 9999)}"
            else:
                ref = f"Visa ****{cards[p['cid']]}"
            if p["note"]:
                ref = f"{ref} ({p['note']})"
            out.append(Payment(date=p["date"], customer_id=p["cid"], amount=p["amount"],
                               row=n + 2, target=p["target"], method=method, reference=ref))
        return tuple(out)

    def invoice_records(self) -> tuple[Invoice, ...]:
        return tuple(
            Invoice(id=i["id"], customer_id=i["cid"], invoice_date=i["date"],
                    amount=i["amount"], due_date=i["due"] if i["due_explicit"] else None,
                    row=n + 2, description=i["description"], po=i["po"], notes=i["notes"],
                    hold=i["hold"])
            for n, i in enumerate(self.invoices))

    # -- activity ----------------------------------------------------------------------------

    def _open_at(self, cid: str, day: date) -> list[tuple[dict, Decimal]]:
        """A customer's open invoices on ``day``: payments and credits before it, oldest first."""
        invs = sorted((i for i in self.invoices if i["cid"] == cid and i["date"] <= day
                       and i["amount"] > 0),
                      key=lambda i: (i["due"], i["date"], i["id"]))
        paid = sum((p["amount"] for p in self.payments if p["cid"] == cid and p["date"] < day),
                   ZERO)
        paid -= sum((i["amount"] for i in self.invoices if i["cid"] == cid and i["amount"] < 0
                     and i["date"] < day), ZERO)
        named: dict[str, Decimal] = {}
        for p in self.payments:
            if p["cid"] == cid and p["target"] and p["date"] < day:
                named[p["target"]] = named.get(p["target"], ZERO) + p["amount"]
        out = []
        pool = paid - sum(named.values(), ZERO)
        for inv in invs:
            left = inv["amount"] - named.get(inv["id"], ZERO)
            if inv["hold"]:
                out.append((inv, left))
                continue
            use = min(max(pool, ZERO), left)
            pool -= use
            left -= use
            if self.masters[cid].profile == "discount" and left <= cents(
                    DISCOUNT.rate * inv["amount"]):
                left = ZERO  # settled by a payment that took the discount
            if left > 0:
                out.append((inv, left))
        return out

    def plan_activity(self) -> None:
        a = self.as_of
        ladder = [s for s in DEFAULT_LADDER if s.days > 0 and s.action in ("Letter", "Call")]
        watched = [DEMO_ROLES[r] for r in ("slow", "chronic_late", "credit_hold", "promise",
                                            "partial")] + ["C023", "C027", "C030"]
        for cid in watched:
            m = self.masters[cid]
            contact, _title, ap = self.people[cid]
            sent: set[str] = set()
            day = self.start + timedelta(days=(7 - self.start.weekday()) % 7)  # Mondays
            while day < a:
                opened = [(inv, left) for inv, left in self._open_at(cid, day)
                          if not inv["hold"] and day > inv["due"]]
                if not opened:
                    sent.clear()  # caught up: a later lapse starts the ladder again
                else:
                    worst = max((day - inv["due"]).days for inv, _ in opened)
                    new = [s for s in ladder if s.days <= worst and s.stage not in sent]
                    ids = tuple(inv["id"] for inv, _ in opened)
                    total = sum((left for _, left in opened), ZERO)
                    for action in ("Letter", "Call"):  # the highest new stage of each kind
                        steps = [s for s in new if s.action == action]
                        if steps:
                            self._log(day, m, steps[-1], ids, total, ap or contact)
                    sent.update(s.stage for s in new)
                day += timedelta(days=7)
        self._special_activity()
        self.activities.sort(key=lambda x: (x.date, x.customer_id, x.type.value))
        self.activities = [
            Activity(date=x.date, customer_id=x.customer_id, type=x.type, row=n + 2,
                     invoice_ids=x.invoice_ids, stage=x.stage, summary=x.summary,
                     promise_date=x.promise_date, promise_amount=x.promise_amount,
                     document=x.document)
            for n, x in enumerate(self.activities)]

    def _log(self, day: date, m: _Master, step, ids: tuple[str, ...], total: Decimal,
             person: str) -> None:
        rng = self.rng
        if step.action == "Letter":
            how = "mailed" if m.channel is Channel.MAIL else "e-mailed"
            self.activities.append(Activity(
                date=day, customer_id=m.id, type=ActivityType.LETTER, invoice_ids=ids,
                stage=step.stage,
                summary=f"{step.stage} {how}: {len(ids)} invoice(s), ${total:,.2f} overdue",
                document=f"letters/{day.isoformat()} {m.id} {step.template}.pdf"))
        else:
            said = rng.choice((
                f"Left a voicemail for {person}.",
                f"Spoke with {person}; invoices received, in their next check run.",
                f"{person} says payment is waiting on the owner's approval.",
                f"Spoke with {person}; asked for copies of the invoices, re-sent them.",
            ))
            self.activities.append(Activity(
                date=min(day + timedelta(days=1), self.as_of - timedelta(days=1)),
                customer_id=m.id, type=ActivityType.CALL,
                invoice_ids=ids, stage=step.stage, summary=said))

    def _special_activity(self) -> None:
        a = self.as_of
        # The promise to pay: a few days ago, for the overdue balance, due after as_of.
        cid = DEMO_ROLES["promise"]
        contact, _t, ap = self.people[cid]
        overdue = [(inv, left) for inv, left in self._open_at(cid, a) if inv["due"] < a]
        if not overdue:  # the seed made them pay up: keep the case with their newest invoice
            overdue = self._open_at(cid, a)[-1:] or []
        amount = sum((left for _, left in overdue), ZERO)
        day = _business_day(a - timedelta(days=3))
        if day >= a:
            day = a - timedelta(days=3)
        self.activities.append(Activity(
            date=day, customer_id=cid, type=ActivityType.PROMISE,
            invoice_ids=tuple(inv["id"] for inv, _ in overdue),
            summary=f"{ap or contact} promised a check for the overdue invoices by the date shown.",
            promise_date=_business_day(a + timedelta(days=7)),
            promise_amount=amount if amount > 0 else Decimal("500.00")))
        # The dispute and the invoice on hold.
        for inv in self.invoices:
            if inv["hold"] is Hold.DISPUTED:
                self.activities.append(Activity(
                    date=_business_day(inv["due"] - timedelta(days=10)), customer_id=inv["cid"],
                    type=ActivityType.NOTE, invoice_ids=(inv["id"],),
                    summary="Dispute logged: 6 cases of gloves short. Asked the driver for the "
                            "signed proof of delivery; invoice on hold meanwhile."))
            elif inv["hold"] is Hold.ON_HOLD:
                self.activities.append(Activity(
                    date=_business_day(inv["date"] + timedelta(days=5)), customer_id=inv["cid"],
                    type=ActivityType.NOTE, invoice_ids=(inv["id"],),
                    summary="Billed at list price by mistake; holding until the corrected "
                            "invoice is issued."))
        # The customer over its credit limit got a call about it.
        cid = DEMO_ROLES["over_limit"]
        contact, _t, ap = self.people[cid]
        self.activities.append(Activity(
            date=_business_day(a - timedelta(days=6)), customer_id=cid, type=ActivityType.CALL,
            summary=f"Called {contact.split(' (')[0]} about the balance over the $15,000 limit; "
                    "new orders need approval until it is back under."))
        # The overpaid customer asked to keep the duplicate as credit.
        cid = DEMO_ROLES["overpaid"]
        dup = [p for p in self.payments if p["cid"] == cid and p["note"] == "duplicate ACH"]
        if dup:
            self.activities.append(Activity(
                date=_business_day(dup[0]["date"] + timedelta(days=3)), customer_id=cid,
                type=ActivityType.NOTE,
                summary=f"Duplicate ACH of ${dup[0]['amount']:,.2f}; customer asked to keep it "
                        "as credit for their first order after reopening."))


def demo_book(as_of: date, seed: int = 7) -> tuple[Book, dict[str, object]]:
    """The demo business as of ``as_of``: its records, and its Settings sheet values.

    The settings dict uses the ``schema.SETTINGS`` keys (``"Late Fee Rate": Decimal("0.015")``,
    ``"As Of Date": as_of``, ...) and the Book's ``settings`` hold the same values parsed.
    """
    demo = _Demo(as_of, seed)
    customers = demo.customers()
    demo.plan_invoices()
    demo.credit_notes()
    demo.plan_payments()
    demo.plan_activity()
    book = Book(settings=_settings(as_of), customers=customers, invoices=demo.invoice_records(),
                payments=demo.payment_records(), activities=tuple(demo.activities))
    return book, demo_settings(as_of)


# --- synthetic books for benchmarks -------------------------------------------------------------

_SYN_A = ("Acme", "Blue", "Cedar", "Delta", "Eagle", "Summit", "Harbor", "Iron", "Juniper",
          "Keystone", "Liberty", "Maple", "North", "Oak", "Pioneer", "Quarry", "River", "Sterling",
          "Timber", "Union", "Valley", "West", "Yellowstone", "Zenith")
_SYN_B = ("Foods", "Supply", "Cafe", "Hotel", "Janitorial", "Grill", "Market", "Clinic",
          "Properties", "Brewing", "Catering", "Bakery", "Services", "Dining", "Club")
_SYN_C = ("Inc.", "LLC", "Co.", "Group", "Ltd.", "")
_SYN_DESC = tuple(d for v in _PRODUCTS.values() for d in v)


def synthetic_book(invoices: int, customers: int, payments: int, as_of: date, seed: int = 7, *,
                   activities: int | None = None) -> tuple[Book, dict[str, object]]:
    """A big plausible book: ``invoices`` over the year before ``as_of``, spread unevenly across
    ``customers`` (a few big accounts, a long tail), and ``payments`` against them, most in full,
    some partial, some late, a few naming their invoice. About 1% credit notes and 0.5% held
    invoices. Every customer id is valid. 100,000 invoices take a few seconds.
    """
    if customers < 1 or invoices < 0 or payments < 0:
        raise ValueError("need at least one customer, and no negative counts")
    rng = random.Random(f"arsheets-synthetic:{seed}")
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    cust_ids = [f"S{n:06d}" for n in range(1, customers + 1)]
    terms_of = [choice((15, 30, 30, 30, 45, 60)) for _ in cust_ids]
    cust = []
    for n, cid in enumerate(cust_ids):
        name = f"{choice(_SYN_A)} {choice(_SYN_B)} {choice(_SYN_C)}".strip() + f" #{n + 1}"
        slug = cid.lower()
        cust.append(Customer(
            id=cid, name=name, row=n + 2, contact=f"{choice(_FIRST)} {choice(_LAST)}",
            email=f"ap@{slug}.example", phone=f"(253) 555-01{n % 100:02d}",
            address=f"{randrange(100, 9999)} {choice(_LAST)} St\nTacoma, WA 984{n % 100:02d}",
            terms=terms_of[n], credit_limit=Decimal(randrange(2, 50) * 1000) if rand() < 0.4
            else None, channel=Channel.MAIL if rand() < 0.1 else Channel.EMAIL))
    # Zipf-like account sizes: customer k gets weight 1 / (k + 1) ** 0.8.
    cum = list(accumulate(1.0 / (k + 1) ** 0.8 for k in range(customers)))
    picks = rng.choices(range(customers), cum_weights=cum, k=invoices)
    span = 365
    offsets = sorted(randrange(span) for _ in range(invoices))
    first = as_of - timedelta(days=span - 1)
    day_of = [first + timedelta(days=d) for d in range(span)]
    due_delta = {t: timedelta(days=t) for t in (15, 30, 45, 60)}
    lognorm = rng.lognormvariate
    inv_out = []
    amounts = []
    for n in range(invoices):
        k = picks[n]
        amount = Decimal(f"{min(lognorm(6.6, 0.9), 250_000.0):.2f}")
        hold = None
        r = rand()
        if r < 0.01:
            amount = -Decimal(f"{lognorm(4.5, 0.7):.2f}")
        elif r < 0.015:
            hold = Hold.DISPUTED if r < 0.0125 else Hold.ON_HOLD
        amounts.append(amount)
        inv_out.append(Invoice(
            id=f"INV{n + 1:07d}", customer_id=cust_ids[k], invoice_date=day_of[offsets[n]],
            amount=amount, row=n + 2, description=choice(_SYN_DESC), hold=hold,
            po=f"PO-{randrange(1000, 99999)}" if rand() < 0.3 else ""))
    pay_out = []
    if invoices and payments:
        # Older invoices are likelier to be paid: pick by u ** 1.6 towards the start.
        raw = []
        for _ in range(payments):
            n = int(invoices * rand() ** 1.6)
            inv = inv_out[n]
            if amounts[n] <= 0:
                n = min(n + 1, invoices - 1)
                inv = inv_out[n]
            due = inv.invoice_date + due_delta[terms_of[picks[n]]]
            late = int(lognorm(2.0, 1.0)) - 8  # mostly around the due date, a long late tail
            day = min(max(due + timedelta(days=late), inv.invoice_date + timedelta(days=1)),
                      as_of)
            r = rand()
            if r < 0.80:
                amount = abs(amounts[n])
            elif r < 0.95:
                amount = Decimal(f"{abs(amounts[n]) * Decimal(choice(('0.25', '0.5', '0.6'))):.2f}")
            else:
                amount = Decimal(f"{abs(amounts[n]) + Decimal(randrange(1, 200)):.2f}")
            raw.append((day, inv.customer_id, amount, inv.id if rand() < 0.05 else None))
        raw.sort(key=lambda p: (p[0], p[1]))
        methods = ("Check", "ACH", "ACH", "Card", "Wire")
        for n, (day, cid, amount, target) in enumerate(raw):
            pay_out.append(Payment(date=day, customer_id=cid, amount=amount, row=n + 2,
                                   target=target, method=choice(methods),
                                   reference=f"REF{n + 1:08d}"))
    act_out = []
    count = invoices // 50 if activities is None else activities
    types = (ActivityType.LETTER, ActivityType.CALL, ActivityType.EMAIL, ActivityType.NOTE)
    for n in range(min(count, invoices)):
        inv = inv_out[randrange(invoices)]
        kind = choice(types)
        act_out.append((inv.invoice_date + timedelta(days=randrange(1, 120)), inv.customer_id,
                        kind, inv.id))
    act_out.sort(key=lambda x: (x[0], x[1]))
    acts = tuple(
        Activity(date=min(d, as_of), customer_id=cid, type=kind, row=n + 2, invoice_ids=(iid,),
                 stage="First reminder" if kind is ActivityType.LETTER else "",
                 summary=f"{kind.value} about {iid}")
        for n, (d, cid, kind, iid) in enumerate(act_out))
    name = "Synthetic Wholesale, Inc."
    settings = {**demo_settings(as_of), "Company Name": name}
    book = Book(
        settings=_settings(as_of, name), customers=tuple(cust), invoices=tuple(inv_out), payments=tuple(pay_out), activities=acts)
    return book, settings


__all__ = ["demo_book", "demo_settings", "synthetic_book", "DEMO_ROLES", "COMPANY"]
