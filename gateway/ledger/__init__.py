"""Claims, claim lines and the ledger of money movements on them. Balances are sums."""
