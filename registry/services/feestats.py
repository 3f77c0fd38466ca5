"""Fee statistics about one recruiter for the API: reports aggregated by category and by corridor, in
buckets small enough to identify a worker suppressed (k-anonymity)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from registry.models import FeeReport

MIN_BUCKET = 5


def fee_stats(session: Session, recruiter_id: int, *, min_bucket: int = MIN_BUCKET) -> dict:
    """Fee reports about one recruiter aggregated by category and by corridor; buckets with fewer
    than `min_bucket` reports are suppressed (k-anonymity). No individual report is exposed."""
    counted = (
        col(FeeReport.recruiter_id) == recruiter_id,
        col(FeeReport.triage_status).in_(("new", "substantiated")),
    )
    stats = (
        func.count(col(FeeReport.id)),
        func.sum(FeeReport.amount_usd),
        func.count(col(FeeReport.amount_usd)),
        func.sum(case((col(FeeReport.triage_status) == "substantiated", 1), else_=0)),
    )

    def buckets(*keys):
        rows = session.execute(select(*keys, *stats).where(*counted).group_by(*keys).order_by(*keys)).all()
        shown, suppressed = [], 0
        for row in rows:
            *key, n, total, n_usd, n_subst = row
            if n < min_bucket:
                suppressed += 1
                continue
            total = Decimal(total or 0)
            shown.append(
                {
                    "key": key,
                    "reports": int(n),
                    "substantiated": int(n_subst or 0),
                    "total_usd": str(total.quantize(Decimal("0.01"))) if n_usd else None,
                    "average_usd": str((total / n_usd).quantize(Decimal("0.01"))) if n_usd else None,
                }
            )
        return shown, suppressed

    by_category, sup_cat = buckets(FeeReport.category)
    by_corridor, sup_cor = buckets(FeeReport.origin_country, FeeReport.destination_country)
    return {
        "min_bucket_size": min_bucket,
        "by_category": [{"category": b.pop("key")[0], **b} for b in by_category],
        "by_corridor": [
            {"origin": (k := b.pop("key"))[0] or None, "destination": k[1] or None, **b} for b in by_corridor
        ],
        "suppressed_buckets": sup_cat + sup_cor,
    }
