"""Admin-domain tables beside the foundation's (`gateway.db.models`): payer aliases.

A payer alias remembers that a name or id seen in an ERA or an aging export *is* one of the
practice's payers, once a biller linked them (or a merge folded one payer into another), so
every later ERA and upload finds that payer instead of raising Payer Mismatch or adding a
near-duplicate ("VSP" beside "VSP Vision Care").
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, Keyed, Timestamped


class AliasKind(StrEnum):
    ERA_PAYER_ID = "era_payer_id"  # N1*PR / TRN03 payer id of an 835 (normalize_payer_id)
    ERA_NAME = "era_name"  # N1*PR payer name of an 835 (normalize_payer_name)
    AGING_NAME = "aging_name"  # the insurance column of an aging export (normalize_payer_name)


class PayerAlias(Keyed, Timestamped, Base):
    __tablename__ = "payer_aliases"
    __table_args__ = (
        UniqueConstraint("practice_id", "kind", "alias"),
        CheckConstraint("kind IN ('era_payer_id', 'era_name', 'aging_name')", name="kind"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"))
    kind: Mapped[str] = mapped_column(String(20))  # AliasKind
    alias: Mapped[str] = mapped_column(String(200))  # normalised text
    payer_id: Mapped[int] = mapped_column(ForeignKey("payers.id"), index=True)
