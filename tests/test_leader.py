"""The scheduler leader's lease (scheduler/leader.py) on the test database (SQLite, or PostgreSQL
with TEST_DATABASE_URL): one holder at a time, renewal, take-over after expiry, release."""

from __future__ import annotations

import asyncio

import pytest

from models import Lease
from scheduler import leader
from scheduler.leader import Leadership, release, try_acquire


async def test_one_holder_until_the_lease_expires(database):
    assert await try_acquire("jobs", "a", ttl=0.6)
    assert not await try_acquire("jobs", "b", ttl=0.6)
    assert await try_acquire("jobs", "a", ttl=0.6)  # renewal by the holder
    assert (await Lease.get(name="jobs")).holder == "a"
    await asyncio.sleep(0.8)  # a stopped renewing (died): its lease runs out
    assert await try_acquire("jobs", "b", ttl=0.6)
    assert not await try_acquire("jobs", "a", ttl=0.6)
    assert (await Lease.get(name="jobs")).holder == "b"


async def test_release_hands_over_at_once_and_only_by_the_holder(database):
    assert await try_acquire("jobs", "a", ttl=30)
    await release("jobs", "b")  # not b's to give away
    assert not await try_acquire("jobs", "b", ttl=30)
    await release("jobs", "a")
    assert await try_acquire("jobs", "b", ttl=30)


async def test_leases_are_independent_by_name(database):
    assert await try_acquire("scheduler", "a", ttl=30)
    assert await try_acquire("other", "b", ttl=30)


async def test_many_candidates_at_once_get_one_leader(database):
    holders = [f"w{n}" for n in range(12)]
    results = await asyncio.gather(*(try_acquire("jobs", h, ttl=30) for h in holders))
    assert sum(results) == 1
    assert (await Lease.get(name="jobs")).holder == holders[results.index(True)]


class Worker:
    """A Leadership with hooks that record what the scheduler would be told."""

    def __init__(self, name: str, ttl: float = 0.9, renew_every: float = 0.2) -> None:
        self.events: list[str] = []
        self.leadership = Leadership(
            lambda: self.events.append("elected"), lambda: self.events.append("deposed"),
            name="jobs", ttl=ttl, renew_every=renew_every, holder=name,
        )

    def die(self) -> None:
        """Stop renewing without releasing, as a killed process does."""
        assert self.leadership._task is not None
        self.leadership._task.cancel()


async def test_the_other_worker_takes_over_when_the_leader_dies(database):
    a, b = Worker("a"), Worker("b")
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert a.leadership.is_leader and not b.leadership.is_leader
        await asyncio.sleep(0.6)  # several renewal rounds: nothing changes hands
        assert a.events == ["elected"] and b.events == []
        a.die()
        loop = asyncio.get_running_loop()
        died = loop.time()
        assert await b.leadership.wait_until_leader(timeout=5)
        # within the lease time plus one renewal round (and slack for a loaded machine)
        assert loop.time() - died < 0.9 + 0.2 + 1.0
        assert b.events == ["elected"]
        assert (await Lease.get(name="jobs")).holder == "b"
    finally:
        await b.leadership.stop()
        a.leadership._task = None
        await a.leadership.stop()


async def test_a_clean_stop_releases_the_lease(database):
    a, b = Worker("a", ttl=30, renew_every=0.1), Worker("b", ttl=30, renew_every=0.1)
    await a.leadership.start()
    await b.leadership.start()
    try:
        await a.leadership.stop()
        assert a.events == ["elected", "deposed"]
        assert await b.leadership.wait_until_leader(timeout=3)  # not after 30 s
    finally:
        await b.leadership.stop()


async def test_a_leader_that_cannot_renew_steps_down(database, monkeypatch):
    a = Worker("a", ttl=0.6, renew_every=0.1)
    await a.leadership.start()
    try:
        assert a.leadership.is_leader

        async def unreachable(*_args, **_kwargs):
            raise ConnectionError("database away")

        monkeypatch.setattr(leader, "try_acquire", unreachable)
        await asyncio.sleep(1.0)
        assert not a.leadership.is_leader
        assert a.events == ["elected", "deposed"]
    finally:
        await a.leadership.stop()


async def test_single_process_leads_without_a_lease(database):
    a = Leadership(lambda: None, lambda: None, name="jobs", always=True)
    await a.start()
    assert a.is_leader
    assert not await Lease.exists()
    await a.stop()
    assert not a.is_leader


def test_renewal_must_come_before_expiry():
    with pytest.raises(ValueError):
        Leadership(lambda: None, lambda: None, ttl=5, renew_every=5)
