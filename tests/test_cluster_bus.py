"""The cluster bus's backends, two nodes each: PostgreSQL's LISTEN/NOTIFY (a message over NOTIFY's
8000 bytes travels by reference) and Redis pub/sub (the Redis of this machine, and one the test
starts and kills: the bus comes back by itself). A node never hears its own messages; clusters
of two databases sharing a Redis never hear each other."""

from __future__ import annotations

import queue
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from semaphore.cluster.choose import cluster_id
from semaphore.config import HaRedisConfig
from semaphore.db.engine import Database
from semaphore.db.models import ClusterMessage
from semaphore.testing import skip_or_fail

TIMEOUT = 10


class Inbox:
    def __init__(self) -> None:
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.put(message)

    def next(self) -> dict[str, Any]:
        return self.messages.get(timeout=TIMEOUT)

    def empty_after(self, seconds: float) -> bool:
        time.sleep(seconds)
        return self.messages.empty()


def started(*buses: Any) -> None:
    for bus in buses:
        bus.start()
    for bus in buses:
        assert bus.wait_listening(TIMEOUT)


@pytest.mark.parametrize("dialect", ["postgres"], indirect=True)
def test_postgres_nodes_hear_each_other_and_long_messages_go_by_reference(config):
    from semaphore.cluster.postgres_bus import MAX_INLINE, PostgresBus

    db = Database.from_config(config)
    a, b = PostgresBus(db, "node-a"), PostgresBus(db, "node-b")
    heard_by_a, heard_by_b = Inbox(), Inbox()
    a.subscribe("t", heard_by_a)
    b.subscribe("t", heard_by_b)
    started(a, b)
    try:
        a.publish("t", {"n": 1})
        assert heard_by_b.next() == {"n": 1}
        long = {"text": "x" * (MAX_INLINE * 3)}
        b.publish("t", long)
        assert heard_by_a.next() == long
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(ClusterMessage)) == 1
        a.publish("other topic", {"n": 2})
        assert heard_by_a.empty_after(0.5) and heard_by_b.empty_after(0)  # own messages, other topics
    finally:
        a.close()
        b.close()
        db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path) -> Iterator[tuple[int, Any, Any]]:
    """A redis-server of this test's on a free port; yields (port, stop, start again)."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed")
    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        processes.append(subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                           "--appendonly", "no", "--dir", str(tmp_path)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop() -> None:
        for process in processes:
            process.kill()
            process.wait()

    start()
    yield port, stop, start
    stop()


def test_redis_nodes_hear_each_other_and_the_bus_comes_back_after_redis_was_down(own_redis):
    from semaphore.cluster.redis_bus import RedisBus

    port, stop_redis, start_again = own_redis
    settings = HaRedisConfig(addr=f"127.0.0.1:{port}")
    a, b = RedisBus(settings, "node-a", "cluster-1"), RedisBus(settings, "node-b", "cluster-1")
    stranger = RedisBus(settings, "node-c", "cluster-2")  # another database's node on the same Redis
    heard_by_b, heard_by_stranger = Inbox(), Inbox()
    b.subscribe("t", heard_by_b)
    stranger.subscribe("t", heard_by_stranger)
    started(a, b, stranger)
    try:
        a.publish("t", {"n": 1})
        assert heard_by_b.next() == {"n": 1}
        assert heard_by_stranger.empty_after(0.5)

        stop_redis()
        a.publish("t", {"n": "lost"})  # never raises: the bus is down, the database still has everything
        start_again()
        deadline = time.monotonic() + TIMEOUT
        while True:  # the listener reconnects with a short pause; until then messages go nowhere
            a.publish("t", {"n": 2})
            try:
                message = heard_by_b.messages.get(timeout=0.5)
                break
            except queue.Empty:
                assert time.monotonic() < deadline, "the bus did not come back"
        assert message == {"n": 2}
    finally:
        for bus in (a, b, stranger):
            bus.close()


@pytest.mark.parametrize("dialect", ["postgres", "mysql"], indirect=True)
def test_every_node_of_a_database_gets_the_same_cluster_id(config):
    db = Database.from_config(config)
    try:
        first = cluster_id(db)
        assert first == cluster_id(db) and len(first) == 32
    finally:
        db.dispose()
