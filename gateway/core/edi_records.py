"""The EDI party records of the core: a clearinghouse connector's config holds the billing
provider (`edi.billing_provider`), and the 837P writer writes it and the rendering provider;
kept apart from `gateway.core.records` only so that module stays small."""

from __future__ import annotations

import msgspec


class EdiAddress(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A street address as the 837P writes it (N3/N4)."""

    line1: str
    line2: str = ""
    city: str
    state: str
    zip: str


class EdiBillingProvider(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Loop 2010AA of the 837P: who bills (the practice), as the clearinghouse enrolled it; a
    clearinghouse connector's config holds it (`edi.billing_provider`), the writer writes it.
    `organization` True for a group practice (NM102 = 2)."""

    name: str  # organization name, or last name of a person
    first_name: str = ""
    organization: bool = True
    npi: str
    tin: str  # employer identification number (REF*EI), 9 digits
    address: EdiAddress
    taxonomy: str = ""  # PRV*BI*PXC, e.g. 152W00000X optometrist


class EdiRenderingProvider(msgspec.Struct, frozen=True, kw_only=True):
    """Loop 2310B of the 837P: who saw the patient, when not the billing provider."""

    last_name: str
    first_name: str = ""
    npi: str
    taxonomy: str = ""
