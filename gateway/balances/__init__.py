"""Outstanding balances: account snapshots pulled from each PMS, manual edits, the sync job."""
