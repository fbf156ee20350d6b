"""X12 EDI: tokenizer (delimiters from the ISA), 835 reader, 837P writer, 999/277CA readers.

See docs/x12.md. Entry points:

- `reader835.iter_remittances(path_or_stream)` -> Iterator[Remittance] (streaming; compiled
  fast path in `_fast835.pyx`, the pure-Python reference with GATEWAY_PURE_PYTHON=1)
- `reader835.summarize(path_or_stream)` -> RemittanceSummary
- `tokenizer.iter_segments(path_or_stream)` -> Iterator[(segment number, elements)]
- `errors.X12Error` (a `UserError`): located bad input
"""
