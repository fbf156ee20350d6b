"""Aging: vendor aging exports read into canonical rows, imported per location as snapshots."""
