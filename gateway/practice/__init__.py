"""Practice data: patients, coverages, appointments and claims from the PMS or by hand.

`layout` says what a vendor's export files look like, `reader` turns their bytes into the
records of `gateway.core.records`, `plugin` gives PMS plugins their hook over the core
transport, `service` writes a `PracticeData` in one transaction keyed on the PMS's ids.
"""
