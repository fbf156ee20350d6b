"""Paper claims: CMS-1500 (02/12) print batches, printed and mailed by a biller."""
