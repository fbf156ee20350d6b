"""Bar charts drawn on the server as SVG geometry (the template draws the rectangles), so the
browser needs no chart library. Heights are exact Decimal ratios rounded to whole pixels."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import msgspec

from gateway.web.render import money

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 260, 24, 40, 12


class Bar(msgspec.Struct, kw_only=True):
    label: str
    value: str
    x: int
    y: int
    width: int
    height: int


class Chart(msgspec.Struct, kw_only=True):
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    total: str


def bar_chart(values: list[tuple[str, Decimal]]) -> Chart:
    """One bar per (label, amount); the tallest bar fills the plot height."""
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - 2 * LEFT) // max(len(values), 1)
    biggest = max((v for _, v in values if v > 0), default=Decimal(0))
    bars = []
    for i, (label, value) in enumerate(values):
        h = 0
        if biggest > 0 and value > 0:
            h = int((value / biggest * plot).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        bars.append(Bar(label=label, value=money(value), x=LEFT + i * slot + slot // 6,
                        y=TOP + plot - h, width=slot * 2 // 3, height=h))
    return Chart(width=WIDTH, height=HEIGHT, baseline=TOP + plot, bars=bars,
                 total=money(sum((v for _, v in values), Decimal("0.00"))))
