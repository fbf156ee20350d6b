"""The shared data model: practices and who works in them, payers, patients, connectors,
imported files, notifications and the audit log.

Claims, claim lines and the ledger live in `gateway.ledger.models`; later domains add their own
modules. `gateway.db.metadata` imports them all so Alembic and tests see one metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db.base import Base, Keyed, PracticeScoped, Timestamped

ROLES = ("admin", "biller", "viewer")


class Practice(Keyed, Timestamped, Base):
    __tablename__ = "practices"

    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    locations: Mapped[list[Location]] = relationship(back_populates="practice")


class Location(PracticeScoped, Base):
    __tablename__ = "locations"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(50))

    practice: Mapped[Practice] = relationship(back_populates="locations")


class User(PracticeScoped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("practice_id", "email"),)

    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # one of ROLES
    active: Mapped[bool] = mapped_column(default=True)
    # argon2id hash for signing in to the page (gateway.web.accounts); None = no page sign-in
    password_hash: Mapped[str | None] = mapped_column(String(200))


class ApiKey(Keyed, Timestamped, Base):
    """An API key, stored as the SHA-256 of a 256-bit random token (the token is shown once).

    A fast unsalted hash is right for random tokens (there is no dictionary to attack); the
    `prefix` lets a user recognise a key in a list without revealing it.
    """

    __tablename__ = "api_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class Payer(PracticeScoped, Base):
    """An insurance payer of a practice. `normalized_name` decides identity within a practice,
    so "BLUE CROSS, INC." and "Blue Cross Inc" are one payer."""

    __tablename__ = "payers"
    __table_args__ = (UniqueConstraint("practice_id", "normalized_name"),)

    name: Mapped[str] = mapped_column(String(200))
    normalized_name: Mapped[str] = mapped_column(String(200))
    payer_id: Mapped[str | None] = mapped_column(String(80), index=True)  # clearinghouse id
    financial_class: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="Active")  # Active / Inactive
    accepts_electronic_claims: Mapped[bool] = mapped_column(default=True)
    # secondary / tertiary claims with COB electronically (else they are printed)
    accepts_electronic_cob: Mapped[bool] = mapped_column(default=True,
                                                         server_default=true())
    source: Mapped[str] = mapped_column(String(40), default="manual")  # manual / aging / era


class Patient(PracticeScoped, Base):
    """A patient. `account` is the chart / account number (what aging reports show);
    `pms_patient_id` the PMS's own id, the key practice-data pulls upsert on."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("practice_id", "account"),
        UniqueConstraint("practice_id", "pms_patient_id"),
    )

    account: Mapped[str] = mapped_column(String(80))  # chart number / PMS patient id
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    dob: Mapped[dt.date | None] = mapped_column(Date)
    pms_patient_id: Mapped[str | None] = mapped_column(String(80))
    sex: Mapped[str | None] = mapped_column(String(1))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(40))
    zip: Mapped[str | None] = mapped_column(String(20))

    coverages: Mapped[list[Coverage]] = relationship(
        back_populates="patient", order_by="Coverage.rank"
    )


class Coverage(Keyed, Timestamped, Base):
    """A patient's insurance: rank 1 primary, 2 secondary, 3 tertiary."""

    __tablename__ = "coverages"
    __table_args__ = (UniqueConstraint("patient_id", "rank"),)

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"))
    rank: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[str | None] = mapped_column(String(80), index=True)  # ERA NM1*IL match
    group_number: Mapped[str | None] = mapped_column(String(80))
    subscriber_name: Mapped[str | None] = mapped_column(String(200))
    subscriber_relationship: Mapped[str | None] = mapped_column(String(40))
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    payer: Mapped[Payer] = relationship()


class Appointment(PracticeScoped, Base):
    """An appointment. `pms_appointment_id` is the PMS's id (the upsert key of pulls);
    `pms_claim_id` the PMS claim made for it, which links it to that claim
    (`claims.appointment_id`) once the claim is in."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("practice_id", "pms_appointment_id"),
        Index("ix_appointments_practice_pms_claim_id", "practice_id", "pms_claim_id"),
    )

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    starts_at: Mapped[dt.datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(30), default="Scheduled")
    pms_appointment_id: Mapped[str | None] = mapped_column(String(80))
    provider: Mapped[str | None] = mapped_column(String(120))
    pms_claim_id: Mapped[str | None] = mapped_column(String(80))


class Connector(PracticeScoped, Base):
    """A practice's configured connection to a plugin. Secrets live in `ConnectorSecret`."""

    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("practice_id", "name"),)

    plugin: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)


class ConnectorSecret(Base):
    """Write-only connector secrets, kept apart so no query of connectors can leak them."""

    __tablename__ = "connector_secrets"

    connector_id: Mapped[int] = mapped_column(ForeignKey("connectors.id"), primary_key=True)
    secrets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class ImportedFile(PracticeScoped, Base):
    """Every file that came in, by content hash: the unique constraint is what makes ingest
    idempotent across gateway processes (the insert decides, not a check before it)."""

    __tablename__ = "imported_files"
    __table_args__ = (UniqueConstraint("practice_id", "kind", "sha256"),)

    connector_id: Mapped[int | None] = mapped_column(ForeignKey("connectors.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    kind: Mapped[str] = mapped_column(String(40))  # era, ack, aging, receipts, statement...
    name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer, default=0)
    remote_mtime: Mapped[int | None] = mapped_column(BigInteger)  # fetched files: see 0360
    status: Mapped[str] = mapped_column(String(30), default="imported")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Notification(PracticeScoped, Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[int | None] = mapped_column(Integer)
    read_at: Mapped[dt.datetime | None] = mapped_column()


class AuditLog(Keyed, Timestamped, Base):
    """Who did what to which object. `actor` names a user ("user:12"), the CLI or a job."""

    __tablename__ = "audit_log"

    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practices.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
