"""The warehouse schema, created and upgraded by code.

A database remembers its schema version in `meta`. Opening it runs every migration newer
than that version in one transaction, so an upgrade either completes or leaves the file as
it was. A database from a newer PeakEnd, or a DuckDB file that is not a PeakEnd database,
is refused with a plain message instead of being touched.
"""

from __future__ import annotations

import hashlib
from typing import cast

import duckdb

from peakend.core.moments import STUDY_MOMENTS
from peakend.warehouse import lake_stats, portable, rollup_tables, rollups

# Columns of the visits table in contract order, with their DuckDB types. The loader and
# the demo generator both write exactly these, so keep one definition.
VISIT_COLUMNS: dict[str, str] = {
    "visit_id": "varchar not null",
    "hall_id": "varchar not null",
    "arrived_at": "timestamp not null",
    "purpose": "varchar not null",
    "called_at": "timestamp",
    "service_started_at": "timestamp",
    "service_ended_at": "timestamp",
    "left_at": "timestamp",
    "staff_id": "varchar",
    "counter_id": "varchar",
    "abandoned": "boolean not null",
    "peak_score": "tinyint",
    "exit_score": "tinyint",
    "exit_comment": "varchar",
    "overall_score": "tinyint",
    "segment": "varchar",
    # Derived at load time (seconds) so every query reads one definition cheaply:
    # wait = called - arrived; queue = wait, or arrived -> left for abandoned visits;
    # service = service_ended - service_started.
    "wait_s": "double",
    "queue_s": "double",
    "service_s": "double",
    "load_id": "integer not null",
}

# The halls table as version 1 made it; later columns are added by migrations at the end.
_HALL_COLUMNS_V1: dict[str, str] = {
    "hall_id": "varchar not null",
    "hall_name": "varchar not null",
    "region": "varchar not null",
    "city": "varchar not null",
    "counters": "integer",
    "hall_type": "varchar",
    "latitude": "double",
    "longitude": "double",
    "opens_at": "time",
    "closes_at": "time",
    "load_id": "integer",
}
# The halls table now: a hall's IANA time zone (null: the network's, a load setting) came later.
HALL_COLUMNS: dict[str, str] = {**_HALL_COLUMNS_V1, "time_zone": "varchar"}

# The staff roster: who a staff_id on a visit is. `hall_id` (optional) is where they work.
STAFF_COLUMNS: dict[str, str] = {
    "staff_id": "varchar not null",
    "staff_name": "varchar not null",
    "hall_id": "varchar",
    "load_id": "integer",
}

# Hourly reports (a "periods" file, the second kind of data): one row per hall x period as a
# queue system or a public office reports it. Every measure is optional (whichever the export
# has); durations are minutes. (hall_id, period_start) is the key a re-sent row replaces on.
PERIOD_MEASURES: dict[str, str] = {
    "arrivals": "integer",
    "served": "integer",
    "abandoned": "integer",
    "wait_mean_min": "double",
    "wait_median_min": "double",
    "wait_p90_min": "double",
    "wait_max_min": "double",
    "service_mean_min": "double",
    "posted_wait_walkin_min": "double",
    "posted_wait_appointment_min": "double",
}
PERIOD_COLUMNS: dict[str, str] = {
    "hall_id": "varchar not null",
    "period_start": "timestamp not null",  # the hall's local time
    "period_minutes": "integer not null",
    **PERIOD_MEASURES,
    "load_id": "integer not null",
}

TARGET_COLUMNS = (
    "wait_target_min",
    "service_level_target",
    "max_abandonment",
    "peak_target",
    "exit_target",
)

NETWORK = "*"  # hall_id of the network-default row in `targets`

DEFAULT_TARGETS = {
    "wait_target_min": 10.0,
    "service_level_target": 0.80,
    "max_abandonment": 0.08,
    "peak_target": 4.2,
    "exit_target": 4.2,
}


def _columns_sql(columns: dict[str, str]) -> str:
    return ",\n  ".join(f"{name} {kind}" for name, kind in columns.items())


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create table halls (\n  {_columns_sql(_HALL_COLUMNS_V1)},\n  primary key (hall_id))")
    con.execute(
        """create table purposes (
          purpose varchar primary key,
          label_en varchar not null,
          label_zh varchar not null,
          peak_moment varchar not null check (peak_moment in ('counter_result',
              'data_experience', 'phone_purchase', 'other')))"""
    )
    con.execute(
        """create table targets (
          hall_id varchar primary key,  -- '*' is the network default
          wait_target_min double check (wait_target_min > 0),
          service_level_target double check (service_level_target between 0 and 1),
          max_abandonment double check (max_abandonment between 0 and 1),
          peak_target double check (peak_target between 1 and 5),
          exit_target double check (exit_target between 1 and 5))"""
    )
    # No primary key on visits: an ART index over hundreds of millions of ids costs
    # gigabytes. The loader keeps visit_id unique (replace-on-resend) itself.
    con.execute(f"create table visits (\n  {_columns_sql(VISIT_COLUMNS)})")
    # Rows a load replaced (same visit_id re-sent), kept so that undoing it restores them.
    con.execute(
        f"create table visits_replaced (\n  replaced_by_load integer not null,\n  {_columns_sql(VISIT_COLUMNS)})"
    )
    con.execute(
        f"create table halls_replaced (\n  replaced_by_load integer not null,\n  {_columns_sql(_HALL_COLUMNS_V1)})"
    )
    con.execute(
        """create table loads (
          load_id integer primary key,
          loaded_at timestamp not null,
          loaded_by varchar not null,
          kind varchar not null,          -- visits | halls | purposes | demo
          file_name varchar,
          mapping varchar,
          rows_accepted bigint not null default 0,
          rows_rejected bigint not null default 0,
          rows_replaced bigint not null default 0,
          status varchar not null default 'loaded',  -- loaded | undone
          undone_at timestamp,
          undone_by varchar)"""
    )
    con.execute(
        """create table rejects (
          load_id integer not null,
          file_name varchar,
          row_number bigint,
          column_name varchar,
          value varchar,
          reason varchar not null)"""
    )
    con.execute(
        "insert into targets values (?, ?, ?, ?, ?, ?)",
        [NETWORK, *(DEFAULT_TARGETS[c] for c in TARGET_COLUMNS)],
    )


# Migration N brings a database from version N-1 to N. Append, never edit.
MIGRATIONS = [_v1]


def _saved_views(con: duckdb.DuckDBPyConnection) -> None:
    """Explore page: named views (the page's URL state) per user, reopened later."""
    # `if not exists`: safe if another branch of the history created it already.
    con.execute(
        """create table if not exists saved_views (
          owner varchar not null,          -- user name, 'anonymous' before sign-in
          name varchar not null,
          query_string varchar not null,   -- the explore page's URL query string
          saved_at timestamp not null,
          primary key (owner, name))"""
    )


MIGRATIONS.append(_saved_views)


def _users_and_audit(con: duckdb.DuckDBPyConnection) -> None:
    """Sign-in (peakend/auth): users, the halls or regions each may see, the audit log and
    the failed-sign-in counters behind the brute-force slowdown."""
    con.execute(
        """create table if not exists users (
          username varchar primary key,      -- lower case
          display_name varchar not null,
          role varchar not null check (role in ('hall_manager', 'regional_manager',
              'head_office', 'data_admin')),
          password_hash varchar,             -- argon2id; null: single sign-on only
          email varchar,                     -- lower case; maps a single sign-on identity
          active boolean not null default true,
          created_at timestamp not null,
          password_changed_at timestamp not null)"""
    )
    # Hall managers list halls, regional managers regions; head office and data admins
    # have no rows (they see every hall).
    con.execute(
        """create table if not exists user_scopes (
          username varchar not null,
          kind varchar not null check (kind in ('hall', 'region')),
          value varchar not null,
          primary key (username, kind, value))"""
    )
    con.execute("create sequence if not exists audit_seq")
    con.execute(
        """create table if not exists audit_log (
          audit_id bigint not null default nextval('audit_seq'),
          happened_at timestamp not null,    -- UTC
          username varchar,                  -- who (as typed, for failed sign-ins)
          action varchar not null,
          detail varchar)"""
    )
    # Keyed by the name typed, known or not, so the slowdown can't tell them apart.
    con.execute(
        """create table if not exists sign_in_failures (
          username varchar primary key,
          failures integer not null,
          last_failed_at timestamp not null)"""
    )


MIGRATIONS.append(_users_and_audit)


def _ingest_presets_and_sources(con: duckdb.DuckDBPyConnection) -> None:
    """Ingestion (peakend/warehouse/ingest): saved column mappings, and what each file load read (its
    content hash, so loading the same file again can be recognised, and the rows its
    mapping left out on purpose)."""
    con.execute(
        """create table if not exists mapping_presets (
          name varchar primary key,
          kind varchar not null,             -- visits | halls | purposes
          definition varchar not null,       -- the mapping as JSON
          saved_at timestamp not null,
          saved_by varchar not null)"""
    )
    con.execute(
        """create table if not exists load_sources (
          load_id integer primary key,
          content_sha256 varchar not null,
          size_bytes bigint not null,
          file_format varchar not null,      -- csv | parquet | excel
          encoding varchar,
          mapping_sha256 varchar,            -- null: contract columns, no mapping
          mapping_definition varchar,        -- the mapping as it was when loading
          rows_skipped bigint not null default 0,
          skipped_by_reason varchar)         -- JSON {reason: rows}"""
    )


MIGRATIONS.append(_ingest_presets_and_sources)


def _rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Pre-aggregated visits (peakend/warehouse/rollups.py), built from the visits already loaded;
    the warehouse write path keeps them current from then on."""
    rollup_tables.create_tables(con)
    rollups.rebuild(con)


MIGRATIONS.append(_rollups)


def _hall_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Visits, first and last day per hall (peakend/warehouse/rollups.py), from visit_rollup."""
    rollup_tables.create_hall_rollup(con)
    rollups.rebuild_hall_rollup(con)


MIGRATIONS.append(_hall_rollup)


def _network_wait_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """The network's wait histogram per day (peakend/warehouse/rollups.py), from wait_rollup."""
    rollup_tables.create_network_wait_rollup(con)
    rollups.rebuild_network_wait_rollup(con)


MIGRATIONS.append(_network_wait_rollup)


def _city_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """The visit sums per day x city x purpose (peakend/warehouse/rollups.py), from visit_rollup."""
    rollup_tables.create_city_rollup(con)
    rollups.refresh_city_rollup(con)


MIGRATIONS.append(_city_rollup)


# Which abandoned visits the service level counts as missed (the macro sl_counted):
SERVICE_LEVEL_RULES = (
    "after_target",  # those who gave up after waiting longer than the target (DESIGN.md)
    "counted",  # every visit that gave up
    "excluded",  # none: the share of the called visits called in time
    "short_excluded",  # those who waited at least N seconds (short abandons are noise)
)


def _service_level_rule(con: duckdb.DuckDBPyConnection) -> None:
    """The service-level definition as a setting in meta, the DESIGN.md one to begin with
    (peakend/warehouse/store.set_service_level_rule changes it and recounts the rollups)."""
    con.execute(
        "insert into meta select * from (values ('service_level_rule', 'after_target'), "
        "('service_level_short_abandon_s', '0')) as v(key, value) where key not in (select key from meta)"
    )


MIGRATIONS.append(_service_level_rule)


def _staff(con: duckdb.DuckDBPyConnection) -> None:
    """The staff roster (a "staff" file: staff_id, staff_name, optional hall_id), so pages
    show a staff member by name; a re-sent staff_id replaces the row, the old one kept in
    staff_replaced for undo (as halls are)."""
    con.execute(f"create table if not exists staff (\n  {_columns_sql(STAFF_COLUMNS)},\n  primary key (staff_id))")
    con.execute(
        f"create table if not exists staff_replaced (\n  replaced_by_load integer not null,\n  {_columns_sql(STAFF_COLUMNS)})"
    )


MIGRATIONS.append(_staff)


def _hall_time_zones(con: duckdb.DuckDBPyConnection) -> None:
    """Each hall's time zone (an IANA name; null: the network's, the load setting
    `load_time_zone`): a timestamp with an offset is converted to its hall's local time."""
    for table in ("halls", "halls_replaced"):
        con.execute(f"alter table {table} add column if not exists time_zone varchar")


MIGRATIONS.append(_hall_time_zones)


# The loader's settings (peakend/warehouse/ingest/settings.py), kept in meta like the
# service-level rule and changed by a data admin on the Data page: key -> default.
LOAD_SETTING_DEFAULTS: dict[str, str] = {
    "load_time_zone": "Asia/Shanghai",  # the network's: halls without one of their own
    "load_max_past_days": "366",  # an arrival this long before the hall's first day is rejected
    "load_max_future_days": "1",  # an arrival later than now plus this is rejected
    "load_max_duration_hours": "12",  # the longest wait, service time or visit
    "load_max_id_length": "64",  # the longest visit_id or code
    "load_max_unpacked_gb": "2",  # the largest a .gz or .zip may unpack to
}


def _load_settings(con: duckdb.DuckDBPyConnection) -> None:
    """The loader's settings in meta, at their defaults (they were environment variables)."""
    con.executemany(
        "insert into meta select $key, $value where $key not in (select key from meta)",
        [{"key": k, "value": v} for k, v in LOAD_SETTING_DEFAULTS.items()],
    )


MIGRATIONS.append(_load_settings)


def _web_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Sign-in that lasts (peakend/auth/sessions.py): a browser's session cookie holds a
    random token of which only the SHA-256 is kept here, with its user, times, user agent
    and address; the devices that signed in before (a device cookie, hashed too), which a
    stranger's failures can't lock out; and the failure counters of the brute-force
    slowdown, per account and address, per address, per account and per known device."""
    con.execute(
        """create table if not exists web_sessions (
          token_sha256 varchar primary key,  -- hex SHA-256 of the cookie's token
          username varchar not null,
          method varchar not null,           -- password | sso
          created_at timestamp not null,     -- UTC
          last_seen_at timestamp not null,   -- UTC, the last click (to the minute)
          user_agent varchar,
          ip varchar,
          revoked_at timestamp,              -- UTC; null: not revoked
          revoked_why varchar)               -- signed_out | password_changed | disabled"""
    )
    con.execute(
        """create table if not exists known_devices (
          device_sha256 varchar not null,    -- hex SHA-256 of the device cookie
          username varchar not null,
          first_seen_at timestamp not null,
          last_seen_at timestamp not null,
          primary key (device_sha256, username))"""
    )
    con.execute(
        """create table if not exists sign_in_throttle (
          key varchar primary key,           -- account|address, address, account, device|account
          failures integer not null,
          last_failed_at timestamp not null)"""
    )
    # the counters keyed on the user name alone, which let a stranger lock a user out
    con.execute("drop table if exists sign_in_failures")


MIGRATIONS.append(_web_sessions)


def _ingest_api_sources(con: duckdb.DuckDBPyConnection) -> None:
    """The ingest API's sources (peakend/warehouse/sources.py): a hall system that posts
    visits with a bearer token, of which only the SHA-256 is kept, and the halls it may
    write. A revoked source stays listed (its loads name it)."""
    con.execute(
        """create table if not exists ingest_sources (
          name varchar primary key,          -- e.g. dlc01-queue
          token_sha256 varchar not null unique,  -- hex SHA-256 of the bearer token
          halls varchar[] not null,          -- the halls its rows may name
          created_at timestamp not null,     -- UTC
          created_by varchar not null,
          revoked_at timestamp,              -- UTC; null: in force
          revoked_by varchar)"""
    )


MIGRATIONS.append(_ingest_api_sources)


def _day_notes(con: duckdb.DuckDBPyConnection) -> None:
    """Notes on a day or some hours of a hall ("system outage", "new staff"), by a manager
    or data admin (peakend/warehouse/day_notes.py): shown on the hall's trends and
    heatmap; `leave_out` ones can be left out of the numbers (VisitFilter.skip_noted)."""
    con.execute("create sequence if not exists day_note_ids start 1")
    con.execute(
        """create table if not exists day_notes (
          note_id integer primary key default nextval('day_note_ids'),
          hall_id varchar not null,
          day date not null,
          hour_from tinyint check (hour_from between 0 and 23),
          hour_to tinyint check (hour_to between 0 and 23),
          kind varchar not null check (kind in ('outage', 'staffing', 'promotion', 'holiday', 'other')),
          note varchar not null check (length(note) between 1 and 500),
          leave_out boolean not null default false,
          created_by varchar not null,
          created_at timestamp not null,
          check ((hour_from is null) = (hour_to is null) and (hour_from is null or hour_from <= hour_to)))"""
    )


MIGRATIONS.append(_day_notes)


def _tasks(con: duckdb.DuckDBPyConnection) -> None:
    """Tasks given to people (任务落实到人, peakend/warehouse/tasks.py): a hall's key moment
    to fix, its owner (a staff member of the hall), the day the fix starts and a due date;
    closed when done, and then checked against the hall's peers (peakend/insights/effect.py)."""
    con.execute("create sequence if not exists task_ids start 1")
    con.execute(
        """create table if not exists tasks (
          task_id integer primary key default nextval('task_ids'),
          hall_id varchar not null,
          moment varchar not null,
          owner_staff_id varchar not null,
          starts_on date not null,
          due_on date not null check (due_on >= starts_on),
          note varchar not null check (length(note) <= 500),
          created_by varchar not null,
          created_at timestamp not null,
          closed_by varchar,
          closed_at timestamp)"""
    )


MIGRATIONS.append(_tasks)


def _subscriptions(con: duckdb.DuckDBPyConnection) -> None:
    """E-mail the morning brief and alerts (peakend/warehouse/subscriptions.py,
    peakend/notify/): what each user asked for, and every delivery the scheduler made or
    tried, keyed so that nothing is sent twice (a restart picks up what is due)."""
    con.execute("create sequence if not exists subscription_ids start 1")
    con.execute(
        """create table if not exists subscriptions (
          subscription_id integer primary key default nextval('subscription_ids'),
          username varchar not null,
          kind varchar not null check (kind in ('brief_daily', 'brief_weekly', 'alert_abandonment',
              'alert_exit')),
          hall_id varchar not null,
          send_at varchar not null check (regexp_full_match(send_at, '([01][0-9]|2[0-3]):[0-5][0-9]')),
          lang varchar not null check (lang in ('zh', 'en')),
          created_at timestamp not null,
          unique (username, kind, hall_id))"""
    )
    con.execute(
        """create table if not exists deliveries (
          delivery_key varchar primary key,  -- subscription id and the day (or week) it is for
          subscription_id integer not null,
          recipient varchar not null,
          subject varchar not null,
          attempts integer not null,
          next_try_at timestamp,  -- null: sent, or given up
          sent_at timestamp,
          last_error varchar)"""
    )


MIGRATIONS.append(_subscriptions)


def _hall_periods(con: duckdb.DuckDBPyConnection) -> None:
    """Hourly reports (issue 14): one row per hall x period (PERIOD_COLUMNS), loaded like
    visits (a "periods" file, history, undo); a re-sent (hall_id, period_start) replaces the
    stored row, the old one kept in hall_periods_replaced for undo. Kept apart from the
    visits and their rollups: a report's mean wait is not a visit's wait."""
    con.execute(f"create table if not exists hall_periods (\n  {_columns_sql(PERIOD_COLUMNS)})")
    con.execute(
        "create table if not exists hall_periods_replaced (\n  replaced_by_load integer not null,\n  "
        f"{_columns_sql(PERIOD_COLUMNS)})"
    )


MIGRATIONS.append(_hall_periods)


def _subscription_channels(con: duckdb.DuckDBPyConnection) -> None:
    """A subscription goes by e-mail, or to a WeCom or DingTalk group's robot webhook
    (peakend/notify/webhook.py)."""
    con.execute("alter table subscriptions add column if not exists channel varchar default 'email'")
    con.execute("alter table subscriptions add column if not exists webhook_url varchar")


MIGRATIONS.append(_subscription_channels)

# Key-moment ratings in the long format (a "ratings" file): one row per visit x moment. The
# wide columns of a visit (peak_score, exit_score) keep rating its peak moment and its exit.
RATING_COLUMNS: dict[str, str] = {
    "visit_id": "varchar not null",
    "moment": "varchar not null",
    "score": "tinyint not null",
    "rated_at": "timestamp",
    "comment": "varchar",
    "load_id": "integer not null",
}


# A hall `h`'s journey is the catalogue's moments `m` of the network, its region and its own
# (the study's are the network's): one condition for the loader's checks and the catalogue
# module (queries/_journey_moments.sql says the same for the pages).
JOURNEY_JOIN = "(m.region is null and m.hall_id is null) or m.hall_id = h.hall_id or m.region = h.region"


def _key_moments(con: duckdb.DuckDBPyConnection) -> None:
    """The catalogue of key moments (issue 21, peakend/warehouse/moments.py): the field
    study's journey as defaults that can't be removed, and moments a data admin adds for the
    network, a region or a hall (可增加，不可减少); and the ratings of any moment of a visit
    (a "ratings" file), a re-sent (visit_id, moment) replacing the stored row, the old one
    kept in moment_ratings_replaced for undo."""
    con.execute(
        """create table if not exists moments (
          moment varchar primary key,
          label_zh varchar not null,
          label_en varchar not null,
          stage varchar not null check (stage in ('before_queue', 'queue', 'counter', 'after_counter', 'exit')),
          is_peak boolean not null,
          scale_min tinyint not null,
          scale_max tinyint not null,
          region varchar,   -- region and hall_id null: the network's; one of them: whose it is
          hall_id varchar,
          study boolean not null default false,
          position integer not null,
          added_by varchar not null,
          added_at timestamp not null,
          check (scale_max > scale_min),
          check (region is null or hall_id is null))"""
    )
    con.executemany(
        "insert into moments select $code, $zh, $en, $stage, $peak, 1, 5, null, null, true, $i, 'peakend', "
        "'2026-12-03' where $code not in (select moment from moments)",
        [
            {"code": code, "zh": zh, "en": en, "stage": stage, "peak": peak, "i": i}
            for i, (code, zh, en, stage, peak) in enumerate(STUDY_MOMENTS)
        ],
    )
    con.execute(f"create table if not exists moment_ratings (\n  {_columns_sql(RATING_COLUMNS)})")
    con.execute(
        "create table if not exists moment_ratings_replaced (\n  replaced_by_load integer not null,\n  "
        f"{_columns_sql(RATING_COLUMNS)})"
    )


MIGRATIONS.append(_key_moments)


def _rating_rollup(con: duckdb.DuckDBPyConnection) -> None:
    """The ratings' sums per hall x day x purpose x moment (peakend/warehouse/rollups.py), from
    the ratings and the visits they rate."""
    rollup_tables.create_rating_rollup(con)
    rollups.rebuild_rating_rollup(con)


MIGRATIONS.append(_rating_rollup)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The database cannot be used by this version of PeakEnd; the message says why."""


def _table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall()
    return {r[0] for r in rows}


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version recorded in the file; 0 for an empty file; None if not PeakEnd's."""
    tables = _table_names(con)
    if not tables:
        return 0
    if "meta" not in tables:
        return None
    row = con.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def ensure_schema(con: duckdb.DuckDBPyConnection, read_only: bool = False) -> int:
    """Create or upgrade the schema; return the version now in force.

    Raises SchemaError, before changing anything, for a database this version can't use.
    """
    version = stored_version(con)
    if version is None:
        raise SchemaError(
            "This DuckDB file is not a PeakEnd database (it has tables but no PeakEnd "
            "schema record). Open a PeakEnd database or an empty file."
        )
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"This database was made by a newer PeakEnd (schema version {version}); this "
            f"app understands up to version {SCHEMA_VERSION}. Upgrade PeakEnd to open it."
        )
    if version < SCHEMA_VERSION:
        if read_only:
            raise SchemaError(
                f"This database has schema version {version} and needs an upgrade to "
                f"{SCHEMA_VERSION}; open it once without read-only mode to upgrade it."
            )
        con.execute("begin transaction")
        # on a DuckLake the same DDL without what a lake has not (keys, sequences)
        ddl = cast("duckdb.DuckDBPyConnection", portable.LakeSchema(con)) if portable.is_lake(con) else con
        try:
            if version == 0:
                ddl.execute("create table meta (key varchar primary key, value varchar)")
                con.execute("insert into meta values ('schema_version', '0'), ('data_version', '0')")
            install_macros(con)  # the rollups that migrations build count with them
            for migrate in MIGRATIONS[version:]:
                migrate(ddl)
            con.execute("update meta set value = ? where key = 'schema_version'", [str(SCHEMA_VERSION)])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    if not read_only:
        if portable.is_lake(con):
            _install_changed_macros(con)
            lake_stats.give_every_table_stats(con)  # see its module: DuckLake 1.5.5's planning
        else:
            install_macros(con)
    return SCHEMA_VERSION


# What one visit is, for the metrics of peakend/core/metrics.py (which are defined there, once):
# SQL macros, (re)created on every open so that a fix here reaches old databases too.
MACROS = [
    # Service level (metrics.py: sl_within / sl_counted): whether a visit was called within
    # the target, and whether the service level counts it at all. Which abandoned visits it
    # counts is the definition a data admin chooses (SERVICE_LEVEL_RULES; `rule` and
    # `short_s` come from queries/_service_level_setting.sql through hall_targets).
    """create or replace macro sl_met(wait_s, abandoned, target_s) as
       not abandoned and wait_s is not null and wait_s <= target_s""",
    """create or replace macro sl_counted(wait_s, queue_s, abandoned, target_s, rule, short_s) as
       (not abandoned and wait_s is not null)
       or (abandoned and case rule
             when 'counted' then true
             when 'excluded' then false
             when 'short_excluded' then coalesce(queue_s, 0) >= short_s
             else coalesce(queue_s, 0) > target_s
           end)""",
    # peak-end index of one visit: mean of its peak and exit scores when both exist.
    # How a staff member reads on every page: "王芳 · S012", the id alone when the roster
    # has no name for it.
    "create or replace macro staff_label(staff_id, staff_name) as coalesce(staff_name || ' · ' || staff_id, staff_id)",
    "create or replace macro visit_peak_end(peak, exit_) as case when peak is not null and exit_ is not null then (peak + exit_) / 2.0 end",
    # The value of one grouping dimension (see filters.DIMENSIONS) for a visit; a null
    # dimension puts every visit in one group. Chosen by a bound parameter, so grouping
    # never needs SQL text built from user input.
    """create or replace macro dimension_value(dim, region, city, hall_id, purpose, peak_moment,
                                               staff_id, segment, arrived_at) as
       case dim
         when 'region' then region
         when 'city' then city
         when 'hall' then hall_id
         when 'purpose' then purpose
         when 'peak_moment' then peak_moment
         when 'staff' then staff_id
         when 'segment' then segment
         when 'day' then strftime(arrived_at, '%Y-%m-%d')
         when 'week' then strftime(date_trunc('week', arrived_at), '%Y-%m-%d')
         when 'month' then strftime(arrived_at, '%Y-%m')
         when 'weekday' then isodow(arrived_at)::varchar
         when 'hour' then lpad(hour(arrived_at)::varchar, 2, '0')
       end""",
]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for sql in MACROS:
        con.execute(sql)


def _install_changed_macros(con: duckdb.DuckDBPyConnection) -> None:
    """On a DuckLake, each create is a commit of the shared catalog: install the macros only
    when they differ from the ones installed (their digest is kept in meta), so opening the
    lake (every app process's start) writes nothing."""
    digest = hashlib.sha256("\n".join(MACROS).encode()).hexdigest()
    if con.execute("select count(*) from meta where key = 'macros_sha256' and value = ?", [digest]).fetchall()[0][0]:
        return
    con.execute("begin transaction")
    try:
        install_macros(con)
        portable.replace_row(con, "meta", ("key",), {"key": "macros_sha256", "value": digest})
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
