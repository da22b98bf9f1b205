"""Tables. Rows are the source of truth: every piece of work that must happen is a row first.

Work rows carry ``due_at``/``next_retry_at`` (when it should happen) and ``claimed_until``
(someone enqueued it; the sweeper leaves it alone until then). Amounts are BIGINT minor units.
Card numbers and CVVs have no column, anywhere.
"""

from __future__ import annotations

from peewee import (
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .clock import utcnow
from .db import database
from .states import DeliveryStatus, OrderStatus, PaymentStatus, RefundStatus


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Merchant(BaseModel):
    id = CharField(max_length=36, primary_key=True)  # UUID
    name = CharField(max_length=200)
    email = CharField(max_length=320, unique=True)
    api_key = CharField(max_length=64, unique=True)
    api_secret_hash = CharField(max_length=64)  # sha256 hex of the secret; the secret is never stored
    webhook_url = TextField(null=True)
    webhook_secret = CharField(max_length=128)
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # after a rotation the old secret signs beside the new one until then (as a WebhookEndpoint's)
    previous_webhook_secret = CharField(max_length=128, null=True)
    previous_webhook_secret_expires_at = DateTimeField(null=True)


def journal_merchant(**kwargs) -> ForeignKeyField:
    """``merchant`` of an append-only journal (audit, ledger, the event outbox): a reference
    without a database constraint. peewee's ``_deferred`` (what ``DeferredForeignKey`` uses) leaves
    the FOREIGN KEY out of CREATE TABLE; joins, backrefs and ``row.merchant_id`` work as before.

    Why: the gateway writes these rows itself, in the transaction of a change to a merchant it has
    already read and validated; the constraint only cost each row an RI trigger and a
    ``FOR KEY SHARE`` lock on the merchant row, a MultiXact when several writers append for one
    merchant (PostgreSQL CPU per create ~0.58 -> ~0.52 ms without it). ``ledger verify`` and
    ``audit verify`` check what the constraint used to guarantee. With no ``ON DELETE CASCADE``,
    an audit trail outlives its merchant, which is what an auditor wants.
    """
    return ForeignKeyField(Merchant, _deferred=True, **kwargs)


# ``index=False`` on a ``merchant`` reference: a composite index of the table leads with
# merchant_id and serves every lookup by merchant (and a cascade); an index on merchant_id alone
# only cost each insert, and each non-HOT update, one more index entry (migrations 75 and 86).


class Order(BaseModel):
    id = CharField(max_length=32, primary_key=True)
    merchant = ForeignKeyField(Merchant, backref="orders", on_delete="CASCADE", index=False)
    amount = BigIntegerField()
    currency = CharField(max_length=3)
    receipt = CharField(max_length=255, null=True)
    notes = TextField(null=True)  # JSON object, as given
    status = CharField(max_length=16, default=OrderStatus.CREATED)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "created_at"), False),)


class Payment(BaseModel):
    id = CharField(max_length=32, primary_key=True)
    order = ForeignKeyField(Order, backref="payments")
    merchant = ForeignKeyField(Merchant, backref="payments", index=False)
    amount = BigIntegerField()
    currency = CharField(max_length=3)
    method = CharField(max_length=8)
    vpa = CharField(max_length=255, null=True)
    card_network = CharField(max_length=16, null=True)
    card_last4 = CharField(max_length=4, null=True)
    status = CharField(max_length=24, default=PaymentStatus.PENDING)
    captured = BooleanField(default=False)
    captured_amount = BigIntegerField(null=True)
    error_code = CharField(max_length=64, null=True)
    error_description = TextField(null=True)
    # The simulated bank's answer, decided when the payment is submitted and revealed at due_at.
    bank_outcome = CharField(max_length=16)
    bank_decline_code = CharField(max_length=64, null=True)
    due_at = DateTimeField()
    claimed_until = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("merchant", "created_at"), False),
            (("merchant", "status", "created_at"), False),
            (("status", "due_at"), False),
            (("order",), False),
        )


class Refund(BaseModel):
    id = CharField(max_length=32, primary_key=True)
    payment = ForeignKeyField(Payment, backref="refunds")
    merchant = ForeignKeyField(Merchant, backref="refunds", index=False)
    amount = BigIntegerField()
    reason = TextField(null=True)
    status = CharField(max_length=16, default=RefundStatus.PENDING)
    due_at = DateTimeField()
    claimed_until = DateTimeField(null=True)
    processed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("merchant", "created_at"), False),
            (("payment", "status"), False),
            (("status", "due_at"), False),
        )


class Event(BaseModel):
    """An append-only record of something that happened; ``body`` is the exact webhook payload."""

    seq = BigAutoField()  # cursor for GET /events?after=
    id = CharField(max_length=40, unique=True)
    merchant = journal_merchant(backref="events", index=False)
    type = CharField(max_length=40)
    object_id = CharField(max_length=40, null=True)
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    txid = BigIntegerField(null=True)  # PostgreSQL: the writing transaction (paygate.event_cursor)

    class Meta:
        indexes = (
            (("merchant", "seq"), False),
            (("object_id",), False),
        )


class WebhookDelivery(BaseModel):
    """The webhook log: one row per (event, destination), retried from its own columns."""

    id = CharField(max_length=36, primary_key=True)  # UUID
    merchant = ForeignKeyField(Merchant, backref="deliveries", index=False)
    event = ForeignKeyField(Event, field="id", backref="deliveries")
    event_type = CharField(max_length=40)
    url = TextField()
    status = CharField(max_length=16, default=DeliveryStatus.PENDING)
    attempts = IntegerField(default=0)
    next_retry_at = DateTimeField(null=True)
    claimed_until = DateTimeField(null=True)
    last_attempt_at = DateTimeField(null=True)
    response_code = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # The webhook endpoint (``we_…``) this row goes to; the merchant's default endpoint has a
    # derived id (``endpoints.default_endpoint_id``). NULL on rows older than migration 3. No
    # foreign key: a deleted endpoint's log stays.
    endpoint_id = CharField(max_length=32, null=True)
    # Why the delivery ended unsent (``deliveries.FAILURE_CODES``: its destination is gone); NULL otherwise.
    failure_code = CharField(max_length=40, null=True)

    class Meta:
        indexes = (
            (("merchant", "created_at"), False),
            (("status", "next_retry_at"), False),
            (("endpoint_id", "created_at"), False),
        )


class WebhookEndpoint(BaseModel):
    """A merchant's extra webhook destination, with its own event filter and signing secret.

    The merchant's default endpoint (``Merchant.webhook_url`` + ``webhook_secret``, the seed
    contract) has no row here. ``previous_secret`` still signs until ``previous_secret_expires_at``
    (rotation with overlap); ``failing_since`` is when the current run of failed attempts began.
    """

    id = CharField(max_length=32, primary_key=True)  # we_…
    merchant = ForeignKeyField(Merchant, backref="webhook_endpoints", on_delete="CASCADE")
    url = TextField()
    description = TextField(null=True)
    enabled_events = TextField()  # JSON list: types, "payment.*" prefixes or "*"
    status = CharField(max_length=16, default="enabled")  # enabled | disabled
    secret = CharField(max_length=128)
    previous_secret = CharField(max_length=128, null=True)
    previous_secret_expires_at = DateTimeField(null=True)
    failing_since = DateTimeField(null=True)
    disabled_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "status"), False),)


class WebhookAttempt(BaseModel):
    """One HTTP attempt of a delivery: append-only."""

    id = BigAutoField()
    delivery = ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="CASCADE")
    number = IntegerField()
    attempted_at = DateTimeField(default=utcnow)
    response_code = IntegerField(null=True)
    response_excerpt = TextField(null=True)
    error = TextField(null=True)
    duration_ms = IntegerField(null=True)

    class Meta:
        indexes = ((("delivery", "number"), False),)


class IdempotencyKey(BaseModel):
    id = BigAutoField()
    merchant = ForeignKeyField(Merchant)
    scope = CharField(max_length=32)  # "payment.create", "refund.create", ...
    key = CharField(max_length=255)
    request_hash = CharField(max_length=64)
    status = CharField(max_length=16, default="in_progress")  # in_progress | completed
    response_code = IntegerField(null=True)
    response_body = TextField(null=True)
    locked_until = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()

    class Meta:
        indexes = (
            (("merchant", "scope", "key"), True),
            (("expires_at",), False),
        )


class Heartbeat(BaseModel):
    """A worker's proof of life: ``worker_status`` is measured from these rows."""

    id = CharField(max_length=200, primary_key=True)  # host:pid:role
    role = CharField(max_length=32)
    last_seen = DateTimeField(default=utcnow)
    maintenance_failures = IntegerField(default=0)  # ticks of its maintenance loop that raised, since it started


class AnalyticsHour(BaseModel):
    """A closed, fully settled hour of a merchant's payments, folded once (see analytics.py).

    One row per (hour, method, outcome); a row with empty method/outcome marks an hour as folded
    even when it had no payments. Only hours with no pending payment are folded, and a settled
    payment never changes class (a refund keeps it "successful"), so these rows never go stale.
    """

    id = BigAutoField()
    merchant = ForeignKeyField(Merchant, on_delete="CASCADE")
    currency = CharField(max_length=3)
    hour_start = DateTimeField()
    method = CharField(max_length=8)  # "" = the hour's marker row
    outcome = CharField(max_length=16)  # "successful" | "failed" | "" (marker)
    count = BigIntegerField(default=0)
    volume = BigIntegerField(default=0)

    class Meta:
        indexes = ((("merchant", "currency", "hour_start", "method", "outcome"), True),)


class ApiKey(BaseModel):
    """One of a merchant's API keys. ``id`` is the ``X-Api-Key`` value; only hashes of secrets are kept.

    The merchant's first key (``Merchant.api_key``, the seed's) has a row here with full access.
    ``previous_secret_hash`` still authenticates until ``previous_secret_expires_at`` (rotation
    with overlap). ``last_used_at`` is coalesced: written at most once a minute.
    """

    id = CharField(max_length=64, primary_key=True)
    merchant = ForeignKeyField(Merchant, backref="api_keys", on_delete="CASCADE")
    name = CharField(max_length=100)
    scopes = TextField()  # space-separated scope names
    secret_hash = CharField(max_length=64)
    previous_secret_hash = CharField(max_length=64, null=True)
    previous_secret_expires_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "created_at"), False),)


class AuditEntry(BaseModel):
    """One committed change, appended in the change's own transaction; never updated.

    ``hash`` = sha256 over the row's content and ``prev_hash`` (the merchant's previous row), so an
    edited, deleted or reordered row breaks the chain (``audit.verify``). ``seq`` counts per merchant.
    """

    id = CharField(max_length=32, primary_key=True)  # aud_…
    # No index of its own: (merchant, seq) and (merchant, created_at) lead with it (migration 75).
    merchant = journal_merchant(backref="audit_entries", index=False)
    seq = BigIntegerField()
    created_at = DateTimeField(default=utcnow)
    actor_type = CharField(max_length=16)  # api_key | admin | checkout
    actor_id = CharField(max_length=100)
    actor_name = CharField(max_length=200, null=True)
    operation = CharField(max_length=64)
    object_id = CharField(max_length=64, null=True)
    request_id = CharField(max_length=64, null=True)
    client_address = CharField(max_length=64, null=True)
    summary = TextField()  # JSON object: what changed, never a secret
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)

    class Meta:
        indexes = (
            (("merchant", "seq"), True),
            (("merchant", "created_at"), False),
        )


class AuditHead(BaseModel):
    """The end of a merchant's audit chain; its row lock serializes appends to that chain."""

    merchant = journal_merchant(primary_key=True)
    seq = BigIntegerField(default=0)
    hash = CharField(max_length=64)


class SchemaMigration(BaseModel):
    version = IntegerField(primary_key=True)
    name = CharField(max_length=200)
    applied_at = DateTimeField(default=utcnow)


class LedgerEntry(BaseModel):
    """One journal entry (see ledger.py): immutable once written; its lines sum to zero.

    The entries that move a merchant's balance are that merchant's balance transactions
    (``txn_…``): ``amount``/``fee``/``net`` are what the merchant sees. ``settlement_id`` is the
    columns written later: ``settlement_id``, the settlement that paid this transaction out, and
    ``released_by``, the ``release`` entry that moved a payment's net from pending to available
    (claims, not money: the money moves in those entries' own lines). ``released_by`` is the
    entry's own id when it hits available directly (refunds, adjustments, settlements, and every
    entry that is not pending), so NULL means exactly "pending, not yet released".
    """

    id = CharField(max_length=32, primary_key=True)  # txn_…
    merchant = journal_merchant(backref="ledger_entries", index=False)
    currency = CharField(max_length=3)
    type = CharField(max_length=24)  # ledger.EntryType
    source = CharField(max_length=32, null=True)  # pay_… / rfnd_… / setl_… / None (adjustment)
    amount = BigIntegerField()  # gross, signed: + money in for the merchant, - money out
    fee = BigIntegerField(default=0)
    net = BigIntegerField()  # amount - fee: what the merchant's balance moved by
    available_on = DateTimeField()
    settlement_id = CharField(max_length=32, null=True)
    released_by = CharField(max_length=32, null=True)  # the release entry (or itself); NULL: pending
    journal = CharField(max_length=32, null=True)  # jrnl_…: whose lines post it (pooled, ledger.Journal); NULL: its own
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("merchant", "created_at"), False),
            (("source", "type"), False),
            (("merchant", "currency", "settlement_id", "available_on"), False),
            (("settlement_id",), False),
            (("released_by", "available_on"), False),  # the release pass: NULL (pending) and matured
        )


class LedgerLine(BaseModel):
    """One posting of an entry: ``amount`` (signed minor units) on one account. Append-only."""

    id = BigAutoField()
    entry = CharField(max_length=32)  # the journal entry: LedgerEntry.id, or the jrnl_… its pooled entries name; no foreign key
    merchant = journal_merchant(backref="ledger_lines", index=False)  # whose money (gateway accounts too)
    currency = CharField(max_length=3)
    account = CharField(max_length=24)  # ledger.Account
    amount = BigIntegerField()
    available_on = DateTimeField()  # the entry's available_on (on a pending line: when it matures)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("entry",), False),
            (("merchant", "currency", "account", "available_on"), False),
        )


class MerchantPricing(BaseModel):
    """A merchant's own fee for a method, overriding the defaults in config (admin command)."""

    id = BigAutoField()
    merchant = ForeignKeyField(Merchant, on_delete="CASCADE")
    method = CharField(max_length=8)
    percent_bps = IntegerField()  # basis points: 200 = 2 %
    fixed = BigIntegerField()  # minor units per payment
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "method"), True),)


class Settlement(BaseModel):
    """A payout of a merchant's available balance to its bank (settlements.py).

    The balance transactions it pays carry its id (``LedgerEntry.settlement_id``). The simulated
    bank's answer is decided when it is created and revealed at ``due_at``, like a payment's.
    """

    id = CharField(max_length=32, primary_key=True)  # setl_…
    merchant = ForeignKeyField(Merchant, backref="settlements")
    currency = CharField(max_length=3)
    amount = BigIntegerField()
    status = CharField(max_length=16)  # states.SettlementStatus
    bank_outcome = CharField(max_length=64)  # "success", or the code the bank returns it with
    failure_code = CharField(max_length=64, null=True)
    bank_reference = CharField(max_length=32, null=True)  # the bank's UTR, once processed
    due_at = DateTimeField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    processed_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("merchant", "created_at"), False),
            (("status", "due_at"), False),
        )


class Reconciliation(BaseModel):
    """One bank file compared with the ledger (reconcile.py): counts per class; the differences
    themselves are its items. Outside records are compared, never copied into the ledger."""

    id = CharField(max_length=32, primary_key=True)  # recon_…
    merchant = CharField(max_length=36, null=True)  # the one merchant whose settlements the file names (None: several or none)
    file_name = CharField(max_length=255)
    rows = BigIntegerField()
    matched = BigIntegerField()
    missing_in_bank = BigIntegerField()
    missing_in_ledger = BigIntegerField()
    amount_mismatch = BigIntegerField()
    late = BigIntegerField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "created_at"), False),)


class ReconciliationItem(BaseModel):
    """One difference a reconciliation found (matched rows are only counted)."""

    id = BigAutoField()
    reconciliation = ForeignKeyField(Reconciliation, backref="items", on_delete="CASCADE")
    status = CharField(max_length=24)
    settlement_id = CharField(max_length=64, null=True)
    transaction_id = CharField(max_length=64, null=True)
    bank_net = BigIntegerField(null=True)
    ledger_net = BigIntegerField(null=True)
    detail = TextField(null=True)

    class Meta:
        indexes = ((("reconciliation", "status"), False),)


ALL_MODELS = [Merchant, Order, Payment, Refund, Event, WebhookDelivery, WebhookEndpoint, WebhookAttempt, IdempotencyKey, Heartbeat, AnalyticsHour]


class DeploymentSecret(BaseModel):
    """A secret of the whole deployment, made at first start and shared by every process (the key
    idempotency fingerprints are computed under). Created by migration 4, not in ALL_MODELS."""

    name = CharField(max_length=64, primary_key=True)
    value = CharField(max_length=128)


ALL_MODELS += [ApiKey, AuditEntry, AuditHead]
ALL_MODELS += [LedgerEntry, LedgerLine, MerchantPricing, Settlement, Reconciliation, ReconciliationItem]
