"""The booking database's tables, and the few additive changes an older database receives.

Bookings, the places they take, their manage links, the outbox of messages to citizens, the
contacts that asked for no reminders and the rate of lost-code requests live in one database,
so that a booking and the message about it are written in one transaction (a booking is never
stored without its confirmation queued, nor a confirmation queued for a booking rolled back).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MAX_NAME = 200

metadata = sa.MetaData()

bookings_table = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),
    sa.Column("product", sa.String(64), nullable=False),
    sa.Column("counter", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("start", sa.Time, nullable=False),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("contact", sa.String(254), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # sha256 of conversation, product, counter, day and time: the conversation id stays out.
    # Cleared on cancellation, so the same conversation can book the same slot again.
    sa.Column("idempotency_key", sa.String(64), nullable=True, unique=True),
    # Added in issue 14 (older databases get them from migrate()).
    sa.Column("status", sa.String(16), nullable=False, server_default="booked"),
    sa.Column("people", sa.Integer, nullable=False, server_default="1"),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    # When the reminder is due (UTC), set at booking and moving; None: no reminder.
    sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reminders", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("bookings_by_slot", "counter", "day", "start"),
    sa.Index("bookings_by_contact", "contact"),
    sa.Index("bookings_reminders_due", "remind_at"),
)

slot_usage = sa.Table(
    "slot_usage",
    metadata,
    sa.Column("counter", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("start", sa.Time, primary_key=True),
    sa.Column("booked", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="slot_usage_within_capacity"),
)

# The places a booking holds: one row per slot (a household may fill consecutive slots).
booking_places = sa.Table(
    "booking_places",
    metadata,
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("start", sa.Time, primary_key=True),
    sa.Column("places", sa.Integer, nullable=False),
    sa.CheckConstraint("places >= 1", name="booking_places_at_least_one"),
)

manage_links = sa.Table(
    "manage_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("booking_id", sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Messages to citizens, written with the change they report and sent by notifications.outbox.
# The body is cleared once sent: it holds the manage link's token until then.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # confirmation, moved, cancelled, reminder, codes
    sa.Column("channel", sa.String(8), nullable=False),  # email or sms
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.String(200), nullable=True),  # never personal data
    sa.Index("outbox_due", "sent_at", "failed_at", "due_at"),
)

# Contacts that asked for no reminders, by hash: the choice outlives the bookings' retention.
reminder_opt_outs = sa.Table(
    "reminder_opt_outs",
    metadata,
    sa.Column("contact_hash", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Lost-code requests per contact (by hash), for the rate limit.
code_requests = sa.Table(
    "code_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("contact_hash", sa.String(64), nullable=False, index=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
)

# Columns added after the first release: (table, column, DDL type with default).
ADDED_COLUMNS = [
    ("bookings", "status", "VARCHAR(16) NOT NULL DEFAULT 'booked'"),
    ("bookings", "people", "INTEGER NOT NULL DEFAULT 1"),
    ("bookings", "cancelled_at", "{timestamp}"),
    ("bookings", "reminded_at", "{timestamp}"),
    ("bookings", "remind_at", "{timestamp}"),
    ("bookings", "reminders", "BOOLEAN NOT NULL DEFAULT {true}"),
]


def migrate(conn: Connection) -> None:
    """Creates missing tables, adds missing columns and gives old bookings their place rows.

    Additive only, and idempotent: run under the schema lock by every process that starts."""
    metadata.create_all(conn)
    postgres = conn.dialect.name == "postgresql"
    inspector = sa.inspect(conn)
    for table, column, ddl in ADDED_COLUMNS:
        present = {c["name"] for c in inspector.get_columns(table)}
        if column in present:
            continue
        ddl = ddl.format(
            timestamp="TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME",
            true="TRUE" if postgres else "1",
        )
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")
    # create_all adds no index to a table that exists already.
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS bookings_by_contact ON bookings (contact)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS bookings_reminders_due ON bookings (remind_at)")
    # Bookings made before places were recorded hold one place at their own start.
    conn.execute(
        booking_places.insert().from_select(
            ["booking_id", "start", "places"],
            sa.select(bookings_table.c.id, bookings_table.c.start, sa.literal(1)).where(
                bookings_table.c.status == "booked",
                ~sa.exists().where(booking_places.c.booking_id == bookings_table.c.id),
            ),
        )
    )
