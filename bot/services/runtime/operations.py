"""What the operator asks about: the SIIAU breaker and the numbers since start."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.runtime import metrics
from bot.services.runtime.breaker import Breaker, BreakerState


@dataclass(frozen=True, slots=True)
class StatsSnapshot:
    """The process's counters, by label, at one moment."""

    runs: dict[str, float]
    retries: float
    breaker: BreakerState
    breaker_openings: int
    weekly: dict[str, float]
    queue_lag_seconds: float


class OperationsService:
    def __init__(self, breaker: Breaker) -> None:
        self._breaker = breaker

    async def breaker_state(self) -> BreakerState:
        return await self._breaker.state()

    async def breaker_openings(self) -> int:
        """How many times the SIIAU breaker has opened (across replicas when it is shared)."""
        return await self._breaker.openings()

    async def stats(self) -> StatsSnapshot:
        return StatsSnapshot(
            runs=metrics.totals(metrics.RUNS),
            retries=sum(metrics.totals(metrics.RETRIES).values()),
            breaker=await self._breaker.state(),
            breaker_openings=await self._breaker.openings(),
            weekly=metrics.totals(metrics.DELIVERIES),
            queue_lag_seconds=metrics.gauge_value(metrics.QUEUE_LAG),
        )
