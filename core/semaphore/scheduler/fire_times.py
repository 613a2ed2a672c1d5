"""When a cron schedule fires, in its time zone, as UTC moments.

A cron expression names wall-clock times, so it is walked in local time and each match is turned
into UTC afterwards. That settles daylight saving time without a double fire:

- a wall-clock time that happens twice (autumn) is one fire, at its first occurrence; in the
  repeated hour the clock shows times that already fired, and they do not fire again;
- a wall-clock time that never happens (spring) fires as if the clock had not jumped yet, i.e.
  by the offset before the change (02:30 Europe/Berlin on the spring day fires at 03:30 CEST);
  when that lands on a time that fires anyway, the two are one fire (the claim is by UTC moment).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from semaphore.errors import ValidationError

#: How far back the search for the latest fire time looks (a yearly schedule fires within a year;
#: cron validation refuses expressions that never match).
_LOOKBACK_STEPS = 400


def time_zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone ``name``; a 400 naming ``field`` when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a known time zone (use an IANA name such as UTC or "
                              "Europe/Berlin)", field=field) from None


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``zone`` as a UTC moment (fold=0: the first of two, and the
    offset before the jump for a time that does not exist)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def latest_fire(cron: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The newest fire time at or before ``now`` (aware), in UTC."""
    # croniter's get_prev is strictly before its start: start one second after now (cron has no seconds).
    start = _local(now, zone).replace(microsecond=0) + timedelta(seconds=1)
    walk = croniter(cron, start)
    for _ in range(_LOOKBACK_STEPS):
        moment = to_utc(walk.get_prev(datetime), zone)
        if moment <= now:  # a time in a spring gap can lie after now in UTC although before it on the clock
            return moment
    return None


def next_fires(cron: str, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after`` (aware), in UTC, in order."""
    found: set[datetime] = set()
    walk = _walk_forward(cron, zone, after)
    # In the repeated autumn hour the clock's next times already fired (skip them); a spring gap can
    # map two wall-clock times to one moment, one of them out of order (look two further).
    extra = 2
    for _ in range(_LOOKBACK_STEPS):
        moment = next(walk)
        if moment > after:
            found.add(moment)
        if len(found) >= count:
            extra -= 1
            if extra < 0:
                break
    return sorted(found)[:count]


def _walk_forward(cron: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    walk = croniter(cron, _local(after, zone))
    while True:
        yield to_utc(walk.get_next(datetime), zone)
