"""How long a runner waits before trying an away server again: exponential, capped, with jitter,
so that many runners of a restarted server do not all come back in the same second."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first: float = 1.0
    cap: float = 30.0
    factor: float = 2.0
    failures: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """Seconds to wait after one more failure: half the exponential step, plus up to as much
        again at random (never more than ``cap``)."""
        step = min(self.cap, self.first * self.factor ** self.failures)
        self.failures += 1
        return step / 2 + self._random.uniform(0, step / 2)

    def reset(self) -> None:
        self.failures = 0
