"""Baseline of the checks' first run: hand-written SQL doing the same writes, on PostgreSQL.

For each check, in one transaction on one connection (psycopg, no ORM, no SQLAlchemy):
- the state changes set-based: ``UPDATE accreditation ... FROM (selection)`` returning the moved rows into
  a temporary table, ``INSERT INTO accreditation_event ... SELECT``, ``INSERT INTO alert ... SELECT ...
  ON CONFLICT DO NOTHING``, ``INSERT INTO audit ... SELECT``, ``UPDATE fee_report`` (retention);
- the outbox messages with ``INSERT INTO outbox_message ... SELECT`` joining supplier links, webhook
  endpoints and followers, payloads built by ``json_build_object`` in the database;
- the audit-log entries: their data built in the database (``row_to_json`` of the new row,
  ``json_build_object`` of the changes), the chain heads locked with one ``SELECT ... FOR UPDATE``, the
  hash chain computed client-side (the only part that cannot be set-based: each hash depends on the
  previous one; hashlib over the same canonical body), rows written with COPY, heads moved with one
  ``UPDATE ... FROM unnest(...)``.
The selection is the check's own (the same predicates as bench_checks.hand_sql). The transaction is
rolled back, so the check then runs on the same data; the baseline time does not include a commit.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime

GENESIS = "0" * 64
_BODY = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

RECRUITER_JSON = (
    "json_build_object('public_id', r.public_id, 'legal_name', r.legal_name, 'country', r.country)"
)


def log_entries(cur, rows: list[tuple], at: datetime) -> int:
    """rows: (chain, actor, action, entity, entity_id, recruiter_id, data text)."""
    if not rows:
        return 0
    chains = sorted({r[0] for r in rows})
    cur.execute(
        "INSERT INTO audit_chain (chain, seq, hash, anchored_seq) SELECT c, 0, %s, 0 FROM unnest(%s::int[]) c "
        "ON CONFLICT DO NOTHING",
        (GENESIS, chains),
    )
    cur.execute(
        "SELECT chain, seq, hash FROM audit_chain WHERE chain = ANY(%s) ORDER BY chain FOR UPDATE", (chains,)
    )
    heads = {c: (s, h) for c, s, h in cur.fetchall()}
    at_iso = at.isoformat()
    encode = _BODY.encode
    sha = hashlib.sha256
    cols = "chain, seq, at, actor, action, entity, entity_id, recruiter_id, data, prev_hash, hash"
    with cur.copy(f"COPY audit_log ({cols}) FROM STDIN") as cp:
        for chain, actor, action, entity, entity_id, rid, data in rows:
            seq, prev = heads[chain]
            seq += 1
            h = sha(
                (prev + encode([seq, at_iso, actor, action, entity, entity_id, data])).encode()
            ).hexdigest()
            cp.write_row((chain, seq, at, actor, action, entity, entity_id, rid, data, prev, h))
            heads[chain] = (seq, h)
    cur.execute(
        "UPDATE audit_chain a SET seq = v.s, hash = v.h FROM unnest(%s::int[], %s::int[], %s::text[]) v(c, s, h) "
        "WHERE a.chain = v.c",
        (list(heads), [s for s, _ in heads.values()], [h for _, h in heads.values()]),
    )
    return len(rows)


def _outbox(cur, source: str, event: str, data_sql: str, params: dict, *, followers: bool) -> None:
    """Messages for every recruiter in `source` (a relation with recruiter_id) to each subscribed webhook
    endpoint (and each follower for status changes); data_sql builds the event data from s.* and r.*."""
    payload = (
        f"json_build_object('type', '{event}', 'created_at', %(at_iso)s::text, 'data', "
        f"({data_sql})::jsonb || jsonb_build_object('recruiter', {RECRUITER_JSON}))"
    )
    common = f"'{event}', {payload}, 'pending', 0, %(at)s, %(at)s"
    sql = f"""
        INSERT INTO outbox_message (message_id, channel, target_id, event_type, payload, status, attempts,
                                    next_attempt_at, created_at)
        SELECT 'msg_' || md5(random()::text || clock_timestamp()::text), 'webhook', w.id, {common}
        FROM {source} s JOIN recruiter r ON r.id = s.recruiter_id
        JOIN supplier_link l ON l.recruiter_id = s.recruiter_id
        JOIN webhook_endpoint w ON w.company_id = l.company_id AND w.active
        WHERE w.events::jsonb ? '{event}'"""
    if followers:
        sql += f"""
        UNION ALL
        SELECT 'msg_' || md5(random()::text || clock_timestamp()::text), 'bot', f.id, {common}
        FROM {source} s JOIN recruiter r ON r.id = s.recruiter_id JOIN follower f ON f.recruiter_id = s.recruiter_id"""
    cur.execute(sql, params)


def transitions(cur, selection: str, params: dict, to_status: str, actor: str, at: datetime) -> int:
    """Move every recruiter the selection names (recruiter_id, reason, audit_id) from accredited to
    `to_status`: state, event, outbox messages, two log entries each."""
    p = {**params, "to": to_status, "actor": actor, "at": at, "at_iso": at.isoformat()}
    cur.execute("DROP TABLE IF EXISTS bl_moved")
    cur.execute(
        "CREATE TEMP TABLE bl_moved (recruiter_id int, old_since timestamptz, old_updated timestamptz, "
        "valid_from date, valid_until date, certificate_number text, reason text, audit_id int)"
    )
    cur.execute(
        f"""WITH sel AS ({selection}),
        m AS (UPDATE accreditation a SET status = %(to)s, since = %(at)s, updated_at = %(at)s
              FROM sel, accreditation o
              WHERE a.recruiter_id = sel.recruiter_id AND o.recruiter_id = a.recruiter_id
                AND a.status = 'accredited'
              RETURNING a.recruiter_id, o.since, o.updated_at, a.valid_from, a.valid_until, a.certificate_number,
                        sel.reason, sel.audit_id)
        INSERT INTO bl_moved SELECT * FROM m""",
        p,
    )
    cur.execute(
        """INSERT INTO accreditation_event (recruiter_id, from_status, to_status, at, actor, reason, audit_id,
                                            valid_from, valid_until)
        SELECT recruiter_id, 'accredited', %(to)s, %(at)s, %(actor)s, reason, audit_id, valid_from, valid_until
        FROM bl_moved ORDER BY recruiter_id
        RETURNING id, recruiter_id, row_to_json(accreditation_event)::text""",
        p,
    )
    events = cur.fetchall()
    _outbox(
        cur,
        "bl_moved",
        "recruiter.status_changed",
        "json_build_object('from', 'accredited', 'to', %(to)s::text, 'reason', s.reason, 'at', %(at_iso)s::text, "
        "'status', %(to)s::text, 'valid_until', s.valid_until, 'licence_status', r.licence_status)",
        p,
        followers=True,
    )
    cur.execute(
        """SELECT recruiter_id, json_build_object('status', json_build_array('accredited', %(to)s::text),
                  'since', json_build_array(old_since, %(at)s::timestamptz),
                  'updated_at', json_build_array(old_updated, %(at)s::timestamptz))::text
        FROM bl_moved ORDER BY recruiter_id""",
        p,
    )
    rows = [(rid, actor, "update", "accreditation", str(rid), rid, data) for rid, data in cur.fetchall()]
    rows += [(rid, actor, "create", "accreditation_event", str(eid), rid, data) for eid, rid, data in events]
    return log_entries(cur, rows, at)


def alerts(cur, selection: str, params: dict, actor: str, at: datetime) -> int:
    """Open the alerts the selection names (key, kind, recruiter_id, details json) that are not open yet,
    with their outbox messages and log entries."""
    p = {**params, "at": at, "at_iso": at.isoformat()}
    cur.execute("DROP TABLE IF EXISTS bl_alerts")
    cur.execute(
        "CREATE TEMP TABLE bl_alerts (id int, kind text, recruiter_id int, details json, opened_at timestamptz, "
        "data text)"
    )
    cur.execute(
        f"""WITH sel AS ({selection}),
        ins AS (INSERT INTO alert (key, kind, recruiter_id, details, opened_at)
                SELECT key, kind, recruiter_id, details, %(at)s FROM sel ON CONFLICT (key) DO NOTHING
                RETURNING id, kind, recruiter_id, details, opened_at, row_to_json(alert)::text)
        INSERT INTO bl_alerts SELECT * FROM ins""",
        p,
    )
    _outbox(
        cur,
        "bl_alerts",
        "recruiter.alert_raised",
        "json_build_object('alert', json_build_object('id', s.id, 'kind', s.kind, 'details', s.details, "
        "'opened_at', %(at_iso)s::text))",
        p,
        followers=False,
    )
    cur.execute("SELECT id, recruiter_id, data FROM bl_alerts ORDER BY id")
    rows = [(rid or 0, actor, "create", "alert", str(aid), rid, data) for aid, rid, data in cur.fetchall()]
    return log_entries(cur, rows, at)


def audits(cur, selection: str, params: dict, actor: str, at: datetime) -> int:
    """Plan the audits the selection names (recruiter_id, kind, planned_date, summary), with log entries."""
    cur.execute(
        f"""WITH sel AS ({selection})
        INSERT INTO audit (recruiter_id, kind, certification_body, lead_auditor, planned_date, summary,
                           created_by, created_at)
        SELECT recruiter_id, kind, '', '', planned_date, summary, %(actor)s, %(at)s FROM sel
        RETURNING id, recruiter_id, row_to_json(audit)::text""",
        {**params, "actor": actor, "at": at},
    )
    rows = [(rid, actor, "create", "audit", str(aid), rid, data) for aid, rid, data in cur.fetchall()]
    return log_entries(cur, rows, at)


# --- the checks --------------------------------------------------------------------------------------


def run(cur, name: str, as_of: date, settings, hand: dict[str, tuple[str, dict]]) -> int:
    """The writes of check `name`'s run as of `as_of`, hand-written; returns the number of log entries."""
    at = datetime.now(UTC)
    actor = f"system:{name}"
    sel, params = hand[name]
    sel = re.sub(r"(?<![:\w]):([a-z_]\w*)", r"%(\1)s", sel)  # SQLAlchemy text binds -> psycopg's
    d = as_of.isoformat()
    if name == "accreditation_expiry":
        n = transitions(
            cur,
            f"SELECT recruiter_id, 'certificate valid until ' || valid_until || ' was not renewed (expired as of "
            f"{d})' AS reason, NULL::int AS audit_id FROM ({sel}) x WHERE valid_until < %(as_of)s",
            params,
            "expired",
            actor,
            at,
        )
        return n + alerts(
            cur,
            f"SELECT 'expiry_reminder:' || recruiter_id || ':' || valid_until || ':' || stage AS key, "
            f"'expiry_reminder' AS kind, recruiter_id, json_build_object('valid_until', valid_until, 'days_before', "
            f"stage, 'days_left', valid_until - %(as_of)s::date, 'as_of', '{d}') AS details FROM ({sel}) x "
            f"WHERE valid_until >= %(as_of)s AND stage IS NOT NULL",
            params,
            actor,
            at,
        )
    if name == "overdue_corrective_actions":
        n = transitions(
            cur,
            f"SELECT recruiter_id, 'corrective action of major finding ' || string_agg('#' || id || ' (' || principle "
            f"|| ', due ' || due_date || ')', ', ') || ' overdue as of {d}' AS reason, min(audit_id) AS audit_id "
            f"FROM ({sel}) x WHERE severity = 'major' AND status = 'accredited' GROUP BY recruiter_id",
            params,
            "suspended",
            actor,
            at,
        )
        return n + alerts(
            cur,
            f"SELECT 'overdue_finding:' || id AS key, 'overdue_' || severity || '_finding' AS kind, recruiter_id, "
            f"json_build_object('finding_id', id, 'severity', severity, 'principle', principle, 'due_date', "
            f"due_date, 'as_of', '{d}') AS details FROM ({sel}) x",
            params,
            actor,
            at,
        )
    if name == "surveillance_due":
        months = settings.surveillance_interval_months
        due = f"(basis + interval '{months} months')::date"
        n = alerts(
            cur,
            f"SELECT 'surveillance_due:' || recruiter_id || ':' || {due} AS key, 'surveillance_due' AS kind, "
            f"recruiter_id, json_build_object('due_date', {due}, 'as_of', '{d}') AS details "
            f"FROM ({sel}) x(recruiter_id, basis)",
            params,
            actor,
            at,
        )
        return n + audits(
            cur,
            f"SELECT recruiter_id, 'surveillance' AS kind, {due} AS planned_date, 'surveillance due ' || {due} || "
            f"' (last audit ' || basis || ')' AS summary FROM ({sel}) x(recruiter_id, basis)",
            params,
            actor,
            at,
        )
    if name == "fee_report_signals":
        window = settings.fee_signal_window_days
        n = audits(
            cur,
            f"SELECT recruiter_id, 'special' AS kind, NULL::date AS planned_date, 'proposed: ' || reporters || "
            f"' independent workers reported fees within {window} days (as of {d})' AS summary FROM ({sel}) x "
            f"WHERE report_id = 0 AND NOT EXISTS (SELECT 1 FROM audit o WHERE o.recruiter_id = x.recruiter_id "
            f"AND o.kind = 'special' AND o.performed_date IS NULL AND o.cancelled_at IS NULL)",
            params,
            actor,
            at,
        )
        n += alerts(
            cur,
            f"SELECT 'fee_signal:' || recruiter_id || ':{d}' AS key, 'fee_signal' AS kind, recruiter_id, "
            f"json_build_object('reporters', reporters, 'window_days', {window}, 'as_of', '{d}') AS details "
            f"FROM ({sel}) x WHERE report_id = 0",
            params,
            actor,
            at,
        )
        cur.execute(
            f"""WITH sel AS (SELECT * FROM ({sel}) x WHERE report_id > 0),
            a AS (INSERT INTO audit (recruiter_id, kind, certification_body, lead_auditor, planned_date, summary,
                                     created_by, created_at)
                  SELECT recruiter_id, 'special', '', '', %(as_of)s, 'special audit opened for substantiated fee '
                         || 'report', %(actor)s, %(at)s FROM sel RETURNING id, recruiter_id, row_to_json(audit)::text AS data),
            f AS (INSERT INTO finding (audit_id, recruiter_id, principle, severity, description, corrective_action,
                                       due_date, report_id, created_at)
                  SELECT a.id, a.recruiter_id, 'P1', 'major', 'Substantiated worker report', 'Repay the worker',
                         %(as_of)s::date + {settings.major_finding_due_days}, sel.report_id, %(at)s
                  FROM a JOIN sel ON sel.recruiter_id = a.recruiter_id
                  RETURNING id, recruiter_id, row_to_json(finding)::text AS data)
            SELECT 'audit', id, recruiter_id, data FROM a UNION ALL SELECT 'finding', id, recruiter_id, data FROM f""",
            {**params, "actor": actor, "at": at, "as_of": as_of},
        )
        rows = [(rid, actor, "create", ent, str(i), rid, data) for ent, i, rid, data in cur.fetchall()]
        return n + log_entries(cur, rows, at)
    if name == "licence_register":
        n = transitions(
            cur,
            f"SELECT id AS recruiter_id, 'licence is ' || licence_status || ' in the ' || licence_authority || "
            f"' register (as of {d})' AS reason, NULL::int AS audit_id FROM ({sel}) x WHERE status = 'accredited'",
            params,
            "suspended",
            actor,
            at,
        )
        return n + alerts(
            cur,
            f"SELECT 'licence:' || id || ':' || licence_status AS key, 'licence_not_valid' AS kind, id AS recruiter_id, "
            f"json_build_object('licence_status', licence_status, 'authority', licence_authority, 'as_of', '{d}') "
            f"AS details FROM ({sel}) x",
            params,
            actor,
            at,
        )
    if name == "retention":
        cur.execute(
            f"""WITH sel AS ({sel}),
            c AS (DELETE FROM case_subscription WHERE report_id IN (SELECT id FROM sel))
            UPDATE fee_report f SET reporter_key = NULL, free_text = NULL, receipt_file_id = NULL, erased_at = %(at)s
            FROM sel WHERE f.id = sel.id RETURNING f.id, f.recruiter_id""",
            {**params, "at": at},
        )
        data = json.dumps({"erased_at": [None, at.isoformat()], "personal_data": "erased"})
        rows = [(rid or 0, actor, "update", "fee_report", str(i), rid, data) for i, rid in cur.fetchall()]
        return log_entries(cur, rows, at)
    raise ValueError(name)
