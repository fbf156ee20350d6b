"""A posting process for the two-process race test (tests/posting/test_fingerprint_race.py).

    python -m tests.posting.race_poster URL PRACTICE_ID DEPOSIT_ID [--hold]

Posts the deposit in one transaction and prints one JSON line with what posting did; with
`--hold` it then waits for a line on stdin before it commits (so the test decides when),
and prints "committed".
"""

from __future__ import annotations

import asyncio
import json
import sys

from gateway.db.engine import make_engine, make_sessionmaker
from gateway.posting.engine import post_deposit


async def main(url: str, practice_id: int, deposit_id: int, hold: bool) -> None:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s, s.begin():
            res = await post_deposit(s, practice_id, deposit_id, actor="race")
            print(json.dumps({"posted": res.posted_claims, "errors": res.error_claims}),
                  flush=True)
            if hold:
                await asyncio.to_thread(sys.stdin.readline)
        print("committed", flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), "--hold" in sys.argv))
