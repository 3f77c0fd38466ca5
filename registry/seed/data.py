"""Demo data: invented recruiters, licence numbers, auditors and findings, and the word lists that
generated names are made of.

No real agency name is ever used here: every name, licence number and reporter is invented
(``tests/unit/test_seed.py`` checks the names and licence numbers against real register extracts).
The licensing authorities and migration corridors are real.
"""

from __future__ import annotations

from collections.abc import Iterator

DEMO_ADMIN_EMAIL = "admin@fairrecruit.example"
# Documented demo password (README). Used only by `seed --demo`, which refuses to run in production.
DEMO_ADMIN_PASSWORD = "ethical-recruitment-demo"  # noqa: S105 - public demo password, never in production
DEMO_COMPANY = "Northwind Apparel Group (demo)"
DECIDER = "auditor@fairrecruit.example"

# Licensing authorities of the origin and destination countries (real institutions; the licence
# numbers attached to them below are invented and marked with a 9xxx range no register uses).
AUTHORITIES = {
    "NP": "Department of Foreign Employment (DoFE)",
    "BD": "Bureau of Manpower, Employment and Training (BMET)",
    "PH": "Department of Migrant Workers (DMW)",
    "ID": "Ministry of Manpower (Kemnaker)",
    "IN": "Protector General of Emigrants (MEA)",
    "MM": "Ministry of Labour, Myanmar",
    "LK": "Sri Lanka Bureau of Foreign Employment (SLBFE)",
    "QA": "Ministry of Labour, Qatar",
    "AE": "Ministry of Human Resources and Emiratisation (MOHRE)",
    "MY": "Department of Labour Peninsular Malaysia (JTKSM)",
}

CURRENCY = {
    "NP": "NPR",
    "BD": "BDT",
    "PH": "PHP",
    "ID": "IDR",
    "IN": "INR",
    "MM": "MMK",
    "LK": "LKR",
    "QA": "QAR",
    "AE": "AED",
    "MY": "MYR",
}

# Real corridors: origin -> destinations.
CORRIDORS = {
    "NP": ["QA", "AE", "SA", "KW", "MY"],
    "BD": ["SA", "AE", "QA", "MY", "KW", "OM"],
    "PH": ["SA", "AE", "QA", "KW", "HK"],
    "ID": ["MY", "SA", "HK", "TW"],
    "IN": ["AE", "SA", "QA", "KW", "OM"],
    "MM": ["TH", "MY"],
    "LK": ["QA", "KW", "SA"],
}

SECTORS = [
    "construction",
    "domestic_work",
    "hospitality",
    "manufacturing",
    "agriculture",
    "security",
    "retail",
    "healthcare",
    "transport",
    "cleaning",
]


def licence_number(country: str, n: int) -> str:
    """An invented licence number in the country's usual shape, in a range no real register uses."""
    n = 9000 + n % 1000 if n < 1000 else 90_000 + n
    return {
        "NP": f"{n}/080/081",
        "BD": f"RL-{n}",
        "PH": f"DMW-{n}-LB-2024",
        "ID": f"KEP.{n}/PPTKIS",
        "IN": f"B-{n}/MUM/PER",
        "MM": f"MOL-OEA-{n}",
        "LK": f"SLBFE-{n}",
        "QA": f"QRA-{n}",
        "AE": f"MOHRE-RA-{n}",
        "MY": f"JTKSM-{n}",
    }.get(country, f"LIC-{n}")


# --- demo set ------------------------------------------------------------------------------------

# scenario: what happens to the recruiter. (legal name, other names, country, corridor destinations, sectors)
DEMO_RECRUITERS: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    # Nepal
    (
        "accredited",
        "Saptakoshi Bridge Overseas Pvt. Ltd.",
        ["Saptakoshi Bridge"],
        "NP",
        ["QA", "AE"],
        ["construction"],
    ),
    (
        "accredited_minor",
        "Tilicho Horizon Manpower Pvt. Ltd.",
        ["Tilicho Horizon", "तिलिचो होराइजन"],
        "NP",
        ["SA", "KW"],
        ["hospitality"],
    ),
    (
        "suspended_report",
        "Khaptad Skyline Employment Services Pvt. Ltd.",
        ["Khaptad Skyline"],
        "NP",
        ["QA", "MY"],
        ["security", "construction"],
    ),
    ("expired", "Rara Valley Placement Pvt. Ltd.", [], "NP", ["AE"], ["retail"]),
    (
        "applicant_planned",
        "Barun Crest Recruitment Pvt. Ltd.",
        ["Barun Crest"],
        "NP",
        ["MY"],
        ["manufacturing"],
    ),
    ("rejected", "Dolpo Trail Manpower Agency Pvt. Ltd.", [], "NP", ["SA"], ["construction"]),
    (
        "reinstated",
        "Ghodaghodi Lake Overseas Pvt. Ltd.",
        ["Ghodaghodi Overseas"],
        "NP",
        ["KW", "QA"],
        ["cleaning"],
    ),
    ("withdrawn", "Mardi Himal Workforce Pvt. Ltd.", [], "NP", ["QA"], ["hospitality"]),
    (
        "fee_signal",
        "Shey Phoksundo Manpower Pvt. Ltd.",
        ["Phoksundo Manpower"],
        "NP",
        ["MY", "SA"],
        ["manufacturing"],
    ),
    # Bangladesh
    (
        "accredited",
        "Padma Crescent International",
        ["Padma Crescent Intl"],
        "BD",
        ["SA", "AE"],
        ["construction"],
    ),
    ("accredited", "Meghna Tidewater Overseas Ltd.", ["Meghna Tidewater"], "BD", ["MY"], ["manufacturing"]),
    (
        "suspended_audit",
        "Jamuna Lantern Recruiting Agency",
        ["Jamuna Lantern"],
        "BD",
        ["QA", "KW"],
        ["construction", "cleaning"],
    ),
    ("applicant", "Karnaphuli Dawn Manpower Services", [], "BD", ["OM"], ["agriculture"]),
    ("rejected", "Surma Reedfield Associates", [], "BD", ["SA"], ["domestic_work"]),
    (
        "expired_reapplied",
        "Teesta Silverline Overseas",
        ["Teesta Silverline"],
        "BD",
        ["AE", "QA"],
        ["hospitality"],
    ),
    ("accredited_minor", "Sundarban Heronway International", [], "BD", ["MY", "SA"], ["agriculture"]),
    ("withdrawn_after_suspension", "Rupsha Gatepost Recruiting Agency", [], "BD", ["SA"], ["construction"]),
    # Philippines
    (
        "accredited",
        "Bayanihan Tradewinds Manpower Inc.",
        ["Bayanihan Tradewinds"],
        "PH",
        ["SA", "AE"],
        ["healthcare"],
    ),
    (
        "accredited",
        "Mayon Seabreeze Placement Agency Inc.",
        ["Mayon Seabreeze"],
        "PH",
        ["HK"],
        ["domestic_work"],
    ),
    (
        "suspended_report",
        "Pinatubo Starlane International Services Inc.",
        [],
        "PH",
        ["KW", "QA"],
        ["domestic_work"],
    ),
    ("applicant", "Taal Coralgate Human Resources Inc.", ["Coralgate HR"], "PH", ["QA"], ["hospitality"]),
    ("expired", "Banaue Terrace Workforce Solutions Inc.", [], "PH", ["SA"], ["construction"]),
    ("rejected", "Siargao Wavecrest Recruitment Corp.", [], "PH", ["AE"], ["retail"]),
    (
        "accredited_minor",
        "Chocolate Hills Manpower Resources Inc.",
        [],
        "PH",
        ["KW", "SA"],
        ["domestic_work", "cleaning"],
    ),
    ("reinstated", "Sierra Madre Pathfinder Agency Inc.", [], "PH", ["QA"], ["security"]),
    # Indonesia
    (
        "accredited",
        "PT Nusantara Jembatan Karya",
        ["Nusantara Jembatan"],
        "ID",
        ["MY", "HK"],
        ["domestic_work", "manufacturing"],
    ),
    ("accredited", "PT Cendrawasih Arunika Sejahtera", [], "ID", ["TW"], ["manufacturing"]),
    ("applicant_planned", "PT Rinjani Samudra Mandiri", ["Rinjani Samudra"], "ID", ["SA"], ["domestic_work"]),
    ("withdrawn", "PT Bromo Lintas Benua", [], "ID", ["MY"], ["agriculture"]),
    ("fee_signal", "PT Kalimaya Duta Prima", ["Kalimaya Duta"], "ID", ["HK", "MY"], ["domestic_work"]),
    ("expired", "PT Toba Cahaya Abadi", [], "ID", ["MY"], ["agriculture"]),
    # India
    (
        "accredited",
        "Narmada Keystone Overseas Consultants",
        ["Keystone Overseas"],
        "IN",
        ["AE", "SA"],
        ["construction"],
    ),
    (
        "accredited_minor",
        "Kaveri Lighthouse Manpower Services",
        [],
        "IN",
        ["QA", "OM"],
        ["hospitality", "transport"],
    ),
    ("suspended_audit", "Godavari Milestone Recruiters", [], "IN", ["KW"], ["construction"]),
    ("applicant", "Brahmaputra Compass Placements", [], "IN", ["AE"], ["healthcare"]),
    (
        "expired_reapplied",
        "Chilika Harbourview Consultancy",
        ["Harbourview"],
        "IN",
        ["SA", "QA"],
        ["transport"],
    ),
    ("rejected", "Sahyadri Blueorbit Manpower", [], "IN", ["OM"], ["cleaning"]),
    # Myanmar
    (
        "accredited",
        "Ayeyarwady Goldleaf Overseas Employment Agency",
        ["Goldleaf Overseas"],
        "MM",
        ["TH", "MY"],
        ["manufacturing", "agriculture"],
    ),
    ("applicant", "Inle Lotusway Employment Services", [], "MM", ["TH"], ["agriculture"]),
    (
        "suspended_report",
        "Chindwin Pearlgate Overseas Employment Agency",
        [],
        "MM",
        ["MY"],
        ["manufacturing"],
    ),
    ("accredited", "Bagan Sunspire Manpower", [], "MM", ["TH"], ["construction"]),
    # Sri Lanka
    ("accredited", "Sigiriya Monsoon Foreign Employment Agency", [], "LK", ["QA", "KW"], ["domestic_work"]),
    ("applicant", "Adam's Peak Careerline (Pvt) Ltd.", [], "LK", ["SA"], ["hospitality"]),
    # Destination-country agencies
    ("accredited", "Al Wakra Pearl Manpower Recruitment W.L.L.", ["Wakra Pearl"], "QA", [], ["construction"]),
    ("accredited_minor", "Dune Harbour Labour Supply L.L.C.", [], "AE", [], ["cleaning", "security"]),
    ("applicant", "Lembah Kinta Resources Sdn. Bhd.", [], "MY", [], ["manufacturing"]),
    ("accredited", "Selangor Rainleaf Workforce Sdn. Bhd.", [], "MY", [], ["manufacturing", "agriculture"]),
]

# Sub-agents (brokers) of demo recruiters: (legal name, country, parent index in DEMO_RECRUITERS)
DEMO_SUBAGENTS = [
    ("Sindhuli Village Connect Sub-Agency", "NP", 0),
    ("Sylhet Field Brokers", "BD", 9),
    ("Mandalay Riverside Agents", "MM", 37),
]

CERT_BODIES = [
    "Verite Audit Partners (demo)",
    "Ethical Supply Assurance (demo)",
    "Meridian Social Audits (demo)",
]
AUDITORS = ["A. Karki", "S. Rahman", "M. Dela Cruz", "R. Wulandari", "P. Nair", "T. Aung", "L. Haddad"]

FINDINGS = {
    "major": [
        (
            "P1",
            "Workers charged a placement fee of roughly two months' wages before departure.",
            "Stop charging; repay every affected worker; written fee policy.",
        ),
        (
            "P2",
            "Passports of 14 workers held at the agency office 'for safekeeping'.",
            "Return all documents the same day; written policy; staff training.",
        ),
        (
            "P3",
            "Contracts signed at the airport, in a language the workers do not read.",
            "Contracts in the worker's language, signed at least 7 days before departure.",
        ),
    ],
    "minor": [
        (
            "P4",
            "Copies of ID documents kept in an unlocked cabinet.",
            "Locked storage and a retention schedule.",
        ),
        (
            "P5",
            "No grievance channel advertised to workers.",
            "Publish a free hotline and log every complaint.",
        ),
        ("B", "Sub-agents not listed or trained on the code of conduct.", "List all sub-agents; train them."),
    ],
    "observation": [
        ("P3", "Pre-departure orientation slides outdated.", ""),
    ],
}


# Generated names: "<A> <B> <suffix of the country>", e.g. "Amber Bridge Overseas Pvt. Ltd.".
NAME_A = [
    "Amber",
    "Azure",
    "Birch",
    "Cedar",
    "Coral",
    "Crimson",
    "Crystal",
    "Dawn",
    "Delta",
    "Ember",
    "Falcon",
    "Fern",
    "Golden",
    "Granite",
    "Harbor",
    "Heron",
    "Indigo",
    "Ivory",
    "Jade",
    "Juniper",
    "Kestrel",
    "Lantern",
    "Laurel",
    "Lotus",
    "Maple",
    "Meadow",
    "Monsoon",
    "Nimbus",
    "Oasis",
    "Onyx",
    "Orchid",
    "Pebble",
    "Pine",
    "Prairie",
    "Quartz",
    "Raven",
    "Ridge",
    "Saffron",
    "Sable",
    "Silver",
    "Solace",
    "Sparrow",
    "Summit",
    "Tamarind",
    "Thistle",
    "Topaz",
    "Tundra",
    "Umber",
    "Valley",
    "Velvet",
    "Willow",
    "Zephyr",
]
NAME_B = [
    "Bridge",
    "Compass",
    "Crest",
    "Gate",
    "Harbour",
    "Horizon",
    "Keystone",
    "Lighthouse",
    "Link",
    "Meridian",
    "Path",
    "Pillar",
    "Pioneer",
    "Portal",
    "Route",
    "Skyline",
    "Star",
    "Trail",
    "Wave",
    "Way",
    "Anchor",
    "Beacon",
    "Circle",
    "Field",
    "Grove",
    "Landing",
    "Point",
    "Reach",
    "Rise",
    "Vista",
]
NAME_SUFFIX = {
    "NP": "Overseas Pvt. Ltd.",
    "BD": "International",
    "PH": "Manpower Services Inc.",
    "ID": "Karya Mandiri",
    "IN": "Overseas Consultants",
    "MM": "Overseas Employment Agency",
    "LK": "Foreign Employment Agency",
}


def iter_demo_names() -> Iterator[str]:
    """Every name of the demo set (legal names and other names, sub-agents included)."""
    for row in DEMO_RECRUITERS:
        yield row[1]
        yield from row[2]
    for name, _c, _p in DEMO_SUBAGENTS:
        yield name


def origins_for(destination: str) -> list[str]:
    """Origin countries whose workers go to `destination` (at most three)."""
    return [o for o, dests in CORRIDORS.items() if destination in dests][:3]
