"""The core: the plugin contract, records crossing it, money, X12."""
