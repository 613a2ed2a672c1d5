"""The alert outbox on every database: claims with a lease (one holder at a time, also under
concurrent claimers), a lease that ran out passes the row on, retries and giving up, pruning, and
a payload that holds no secret in the clear."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alert_helpers import close_app, project_with_task
from task_helpers import ScriptExecutorPlugin, build_app

from semaphore.alerts import outbox
from semaphore.alerts.testing import sample_alert
from semaphore.db.models import AlertOutbox
from semaphore.db.types import utcnow
from semaphore.errors import DecryptionError

LEASE = timedelta(seconds=30)
SECRET = "https://hooks.example.test/T0/B0/project-own-secret"


@pytest.fixture
def app(config):
    application = build_app(config, script_executor=ScriptExecutorPlugin())
    yield application
    close_app(application)


@pytest.fixture
def task_id(app):
    return project_with_task(app)[2]


def db(app):
    return app.extensions["semaphore"].db.session()


def store(app, task_id, *channels, now=None, to_task_log=True):
    alert = sample_alert(task_id=task_id, settings={"webhook": SECRET}, message="deploy with s3cr3t-message")
    with db(app) as session:
        outbox.store(session, app.extensions["semaphore"].secrets, [(c, alert) for c in channels], to_task_log,
                     now or utcnow())


def claim(app, node, channels=("slack",), now=None):
    with db(app) as session:
        return outbox.claim(session, node, channels, LEASE, now or utcnow())


def rows(app):
    with db(app) as session:
        return session.query(AlertOutbox).order_by(AlertOutbox.id).all()


def test_a_row_is_held_by_one_node_until_its_lease_runs_out(app, task_id):
    store(app, task_id, "slack")
    now = utcnow()
    first = claim(app, "node-a", now=now)
    assert first is not None and (first.channel, first.task_id, first.attempts) == ("slack", task_id, 0)
    assert claim(app, "node-b", now=now + timedelta(seconds=29)) is None  # still node-a's

    # node-a died mid-send: once the lease ran out, node-b takes the row over
    second = claim(app, "node-b", now=now + timedelta(seconds=31))
    assert second is not None and second.id == first.id
    with db(app) as session:
        assert not outbox.sent(session, first, "node-a", 1, utcnow())  # too late: node-b holds it
        assert outbox.sent(session, second, "node-b", 1, utcnow())
    (row,) = rows(app)
    assert (row.claimed_by, row.attempts, row.last_error) == ("node-b", 1, None) and row.finished is not None
    assert claim(app, "node-c", now=now + timedelta(hours=1)) is None  # finished rows are never claimed


def test_a_node_claims_only_the_channels_it_sends(app, task_id):
    store(app, task_id, "email")
    assert claim(app, "node-a", channels=("slack", "teams")) is None
    assert claim(app, "node-b", channels=()) is None
    assert claim(app, "node-c", channels=("email",)).channel == "email"


def test_concurrent_claimers_take_each_row_exactly_once(app, task_id):
    store(app, task_id, *["slack"] * 12)
    taken: dict[str, list[int]] = {}

    def claimer(node):
        taken[node] = []
        while (row := claim(app, node)) is not None:
            taken[node].append(row.id)

    threads = [threading.Thread(target=claimer, args=(f"node-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = sorted(row_id for ids in taken.values() for row_id in ids)
    assert every == sorted(row.id for row in rows(app))
    assert {row.claimed_by for row in rows(app)} <= set(taken)


def test_a_failed_send_is_due_again_at_its_retry_time_by_any_node(app, task_id):
    store(app, task_id, "slack")
    now = utcnow()
    held = claim(app, "node-a", now=now)
    with db(app) as session:
        assert outbox.failed(session, held, "node-a", 2, "the server answered HTTP 500",
                             now + timedelta(minutes=1), now)
    (row,) = rows(app)
    assert (row.attempts, row.last_error, row.finished, row.claimed_until) == (2, "the server answered HTTP 500",
                                                                               None, None)
    with db(app) as session:
        assert outbox.due_count(session, {"slack"}, now + timedelta(seconds=59)) == 0
    assert claim(app, "node-b", now=now + timedelta(seconds=59)) is None
    again = claim(app, "node-b", now=now + timedelta(seconds=61))
    assert (again.id, again.attempts) == (held.id, 2)


def test_a_given_up_row_is_finished_with_its_reason(app, task_id):
    store(app, task_id, "slack")
    held = claim(app, "node-a")
    with db(app) as session:
        assert outbox.failed(session, held, "node-a", 6, "cannot connect: Connection refused", None, utcnow())
    (row,) = rows(app)
    assert row.finished is not None and row.last_error == "cannot connect: Connection refused"
    assert claim(app, "node-b", now=utcnow() + timedelta(days=1)) is None


def test_renewing_keeps_the_row_past_its_first_lease(app, task_id):
    store(app, task_id, "slack")
    now = utcnow()
    held = claim(app, "node-a", now=now)
    with db(app) as session:
        assert outbox.renew(session, held, "node-a", LEASE, now + timedelta(seconds=20))
    assert claim(app, "node-b", now=now + timedelta(seconds=40)) is None
    assert claim(app, "node-b", now=now + timedelta(seconds=51)) is not None
    with db(app) as session:
        assert not outbox.renew(session, held, "node-a", LEASE, now + timedelta(seconds=52))


def test_prune_deletes_old_finished_rows_and_gives_up_rows_nobody_sends(app, task_id):
    now = utcnow()
    store(app, task_id, "slack", now=now - timedelta(days=9))  # sent long ago
    store(app, task_id, "slack", now=now - timedelta(hours=1))  # sent recently
    store(app, task_id, "pager", now=now - timedelta(days=2))  # no node sends pager alerts
    store(app, task_id, "pager", now=now - timedelta(hours=2))  # still waiting for one
    for when in (now - timedelta(days=8), now - timedelta(minutes=50)):
        held = claim(app, "node-a", now=when)
        with db(app) as session:
            assert outbox.sent(session, held, "node-a", 1, when)

    with db(app) as session:
        assert outbox.prune(session, now - timedelta(days=7), now - timedelta(days=1), now) == (1, 1)
    kept = rows(app)
    assert [(row.channel, row.finished is not None) for row in kept] == [("slack", True), ("pager", True),
                                                                         ("pager", False)]
    assert "no server process sends alerts of this channel" in kept[1].last_error


def test_the_stored_payload_holds_no_secret_and_decrypts_to_the_alert(app, task_id):
    store(app, task_id, "slack")
    (row,) = rows(app)
    for clear in (SECRET, "project-own-secret", "s3cr3t-message", "Ada Lovelace", "Deploy app"):
        assert clear not in row.payload
    alert, to_task_log = outbox.decode_payload(app.extensions["semaphore"].secrets, row.payload)
    assert alert == sample_alert(task_id=task_id, settings={"webhook": SECRET}, message="deploy with s3cr3t-message")
    assert to_task_log is True


def test_a_payload_under_another_key_does_not_decrypt(app, task_id):
    from semaphore.crypto import SecretBox

    store(app, task_id, "slack")
    (row,) = rows(app)
    other = SecretBox.from_config_value("A" * 43 + "=")
    with pytest.raises(DecryptionError):
        outbox.decode_payload(other, row.payload)
