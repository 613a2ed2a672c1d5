"""The task log pipeline on every database: lines numbered in order, stored in batches (never an
INSERT per line), partial lines and CRLF, huge lines cut while they stream in, secrets masked,
backpressure when the database is behind, and database errors that cost no line."""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select, text
from task_helpers import create_template, query, run_task

from semaphore.db.models import TaskOutput
from semaphore.engine.log import MAX_BATCH_LINES, MAX_LINE, MAX_PENDING_LINES, TaskLog, cut_marker
from semaphore.engine.masking import MASK, Masker
from semaphore.live import LogBatch, Viewer
from semaphore.state import app_state


@pytest.fixture
def app(script_app):
    return script_app


@pytest.fixture
def task(admin_client, project):
    """(task id, project id) of a queued task."""
    template = create_template(admin_client, project)
    return run_task(admin_client, project, template["id"])["id"], project.id


def stored(app, task_id):
    return [(seq, output) for seq, output in
            query(app, "SELECT seq, output FROM task__output WHERE task_id = :t ORDER BY seq", t=task_id)]


def outputs(app, task_id):
    return [output for _, output in stored(app, task_id)]


def chunks(data: bytes, size: int = 65536):
    return [data[i:i + size] for i in range(0, len(data), size)]


class InsertCounter:
    """Counts the INSERT statements (an executemany counts once) the database receives."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _params, _context, _executemany):
        if statement.lstrip().upper().startswith("INSERT INTO TASK__OUTPUT"):
            self.count += 1

    def remove(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


# -- masking, without a database --------------------------------------------------------------------

def test_masker_hides_every_secret_and_ignores_tiny_values():
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ\n-----END KEY-----\n"
    masker = Masker(["hunter22", "ab", "", None, key, "hunter22-long-version"])
    assert masker.mask("login with hunter22 now") == f"login with {MASK} now"
    assert masker.mask("hunter22-long-version") == MASK  # the longer secret wins
    assert masker.mask("ab and abc") == "ab and abc"  # shorter than 3 characters: not masked
    assert masker.mask("MIIEvQIBADANBgkqhkiG9w0BAQ") == MASK  # one line of a multi-line secret
    assert masker.mask("-----BEGIN KEY-----") == MASK
    assert not Masker(["", "x"]) and Masker(["abc"])
    # A line cut in the middle of a secret shows none of its beginning.
    assert Masker(["s3cr3t-value"]).mask_cut("token=s3cr3t-va") == f"token={MASK}"


# -- the pipeline -----------------------------------------------------------------------------------

def test_lines_are_stored_in_order_with_seqs_in_batches(app, task):
    task_id, project_id = task
    counter = InsertCounter(app_state(app).db.engine)
    before = datetime.now(UTC)
    try:
        log = TaskLog(app_state(app), task_id, project_id)
        log.write("Task 1 added to queue")
        for chunk in chunks(b"".join(b"line %d\n" % n for n in range(30_000))):
            log.feed(chunk)
        log.write("done\nbye")  # a server message with a newline is two lines
        log.close()
    finally:
        counter.remove()
    rows = stored(app, task_id)
    assert [seq for seq, _ in rows] == list(range(1, 30_004))
    assert [output for _, output in rows] == ["Task 1 added to queue", *(f"line {n}" for n in range(30_000)),
                                              "done", "bye"]
    assert 0 < counter.count <= 200, counter.count  # 30,003 lines, a few hundred statements at most
    with app_state(app).db.session() as db:  # times read back through the model: UTC, when they came
        stamps = list(db.scalars(select(TaskOutput.time).where(TaskOutput.task_id == task_id)))
    assert all(before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) for stamp in stamps)


def test_partial_lines_crlf_and_undecodable_bytes(app, task):
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)
    log.feed(b"first\r\nsec")
    log.feed(b"ond\r")
    log.feed(b"\n\x1b[32mok\x1b[0m: progress 10%\rprogress 20%\n")
    log.feed("h\u00e9llo".encode()[:2])  # "é" split across two reads
    log.feed("h\u00e9llo".encode()[2:] + b"\nbad \xff byte\n\n")
    log.feed(b"no newline at the end")
    log.flush()
    assert outputs(app, task_id) == ["first", "second", "\x1b[32mok\x1b[0m: progress 10%\rprogress 20%",
                                     "h\u00e9llo", "bad \ufffd byte", ""]
    log.end_of_stream()
    log.feed(b"next\r\n")
    log.close()
    assert outputs(app, task_id)[-2:] == ["no newline at the end", "next"]


def test_a_huge_line_is_cut_with_a_marker_without_being_held(app, task):
    """A 50 MB line, read from a pipe 64 KiB at a time, is stored cut at MAX_LINE with a marker; the
    lines around it are intact, and memory never holds more than a fraction of it."""
    task_id, project_id = task
    size = 50 * 1024 * 1024
    piece = b"x" * 65536
    log = TaskLog(app_state(app), task_id, project_id)
    log.feed(b"before\nxx")
    tracemalloc.start()
    try:
        for _ in range(size // len(piece) - 1):
            log.feed(piece)
        log.feed(piece[:-2] + b"\nafter\n")
        log.flush()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MAX_LINE, peak
    # The same line handed over in one call (a caller that read it whole) is cut the same way.
    log.feed(b"y" * size + b"\n")
    log.close()
    lines = outputs(app, task_id)
    assert lines[0] == "before" and lines[2] == "after"
    assert lines[1] == "x" * MAX_LINE + cut_marker(size - MAX_LINE)
    assert lines[3] == "y" * MAX_LINE + cut_marker(size - MAX_LINE)
    assert "… [line cut: 51380224 more bytes]" in lines[1]


def test_a_long_line_is_cut_on_a_character_boundary(app, task):
    task_id, project_id = task
    with TaskLog(app_state(app), task_id, project_id) as log:
        log.feed(b"a" + "\u00e9".encode() * MAX_LINE + b"\n")  # 2 bytes per character: the cut splits one
    (line,) = outputs(app, task_id)
    kept = "a" + "\u00e9" * ((MAX_LINE - 1) // 2)
    assert line == kept + cut_marker(1 + 2 * MAX_LINE - len(kept.encode()))
    assert "\ufffd" not in line


def test_secrets_are_masked_in_stored_and_published_lines(app, task):
    task_id, project_id = task
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
    hub = app_state(app).live
    viewer = hub.subscribe(Viewer(user_id=0, admin=True))
    try:
        log = TaskLog(app_state(app), task_id, project_id, secrets=["pa55word", "no", key])
        log.feed(b"login: admin pa55word\r\n" + key.encode() + b"\n")
        log.write("server says pa55word")
        log.add_secrets(["late-secret"])
        log.feed(b"late-secret and no\n")
        log.feed(b"z" * (MAX_LINE - 4) + b"pa55word-tail\n")  # cut inside a secret
        log.close()
        published = [message for item in viewer.take(5.0) if isinstance(item, LogBatch) for message in item.messages()]
    finally:
        hub.unsubscribe(viewer)
    lines = outputs(app, task_id)
    assert lines[:6] == [f"login: admin {MASK}", MASK, MASK, MASK, f"server says {MASK}", f"{MASK} and no"]
    assert lines[6].startswith("z" * (MAX_LINE - 4) + MASK) and "pa5" not in lines[6]
    everything = "\n".join(lines + published)
    for secret in ("pa55word", "b3BlbnNzaC1rZXktdjEAAAAA", "late-secret", "BEGIN OPENSSH"):
        assert secret not in everything
    assert len(published) == 7


def test_numbering_continues_after_stored_lines(app, task):
    task_id, project_id = task
    with TaskLog(app_state(app), task_id, project_id) as log:
        log.write("one\ntwo")
    with TaskLog(app_state(app), task_id, project_id) as log:
        log.write("three")
    assert stored(app, task_id) == [(1, "one"), (2, "two"), (3, "three")]


def test_lines_are_published_only_after_they_are_stored(app, task):
    task_id, project_id = task
    hub = app_state(app).live
    viewer = hub.subscribe(Viewer(user_id=0, admin=True))
    log = TaskLog(app_state(app), task_id, project_id)
    try:
        log.write("hello")
        items = viewer.take(10.0)
        assert outputs(app, task_id) == ["hello"]  # already committed when the viewer got it
        (message,) = [message for item in items for message in item.messages()]
        assert message.startswith('{"type":"log","output":"hello","time":"')
        assert message.endswith(f'Z","task_id":{task_id},"project_id":{project_id},"seq":1}}')
    finally:
        log.close()
        hub.unsubscribe(viewer)


def test_writes_from_two_threads_keep_each_stream_in_order(app, task):
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)

    def server_messages():
        for n in range(2_000):
            log.write(f"server {n}")

    writer = threading.Thread(target=server_messages)
    writer.start()
    for chunk in chunks(b"".join(b"process %d\n" % n for n in range(50_000)), 4096):
        log.feed(chunk)
    writer.join()
    log.close()
    rows = stored(app, task_id)
    assert [seq for seq, _ in rows] == list(range(1, 52_001))
    assert [o for _, o in rows if o.startswith("process")] == [f"process {n}" for n in range(50_000)]
    assert [o for _, o in rows if o.startswith("server")] == [f"server {n}" for n in range(2_000)]


def _hold_write_lock(app):
    """A second connection that keeps the log table locked until released: the database is 'slow'."""
    connection = app_state(app).db.engine.connect()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("LOCK TABLE task__output IN EXCLUSIVE MODE"))
    else:
        connection.exec_driver_sql("LOCK TABLES task__output WRITE")

    def release():
        if dialect in ("mysql", "mariadb"):
            connection.exec_driver_sql("UNLOCK TABLES")
        connection.rollback()
        connection.close()

    return release


def test_producers_wait_while_the_database_is_behind(app, task):
    """Backpressure: with the table locked, feeding stops after a bounded number of lines instead
    of buffering them all, and goes on once the database accepts them again."""
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)
    release = _hold_write_lock(app)
    total = 3 * (MAX_PENDING_LINES + MAX_BATCH_LINES)
    fed = []

    def produce():
        for chunk in chunks(b"".join(b"%d\n" % n for n in range(total)), 8192):
            log.feed(chunk)
            fed.append(chunk.count(b"\n"))

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        time.sleep(2.0)
        assert producer.is_alive()
        assert sum(fed) <= MAX_PENDING_LINES + MAX_BATCH_LINES + 10_000, sum(fed)
    finally:
        release()
    producer.join(120)
    log.close()
    assert not producer.is_alive()
    assert query(app, "SELECT COUNT(*), MAX(seq) FROM task__output WHERE task_id = :t", t=task_id)[0] == (total, total)


def _rename_log_table(app, name_from, name_to):
    with app_state(app).db.engine.begin() as conn:
        if conn.dialect.name in ("mysql", "mariadb"):
            conn.exec_driver_sql(f"RENAME TABLE {name_from} TO {name_to}")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {name_from} RENAME TO {name_to}")


def test_a_database_error_is_retried_and_costs_no_line(app, task, caplog):
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)
    log.write("stored first")
    log.flush()
    _rename_log_table(app, "task__output", "task__output_away")
    try:
        log.write("written while the table is missing")
        deadline = time.monotonic() + 30
        while not any("retrying" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        _rename_log_table(app, "task__output_away", "task__output")
    log.write("after")
    log.close()
    assert outputs(app, task_id) == ["stored first", "written while the table is missing", "after"]
    warning = next(r for r in caplog.records if "retrying" in r.getMessage())
    assert warning.levelno == logging.WARNING
    assert f"task {task_id}: storing log lines 2-2 failed" in warning.getMessage()
    assert "missing" not in warning.getMessage()  # the driver's reason, never the lines


def test_lines_of_a_deleted_task_are_dropped_with_an_error(app, task, caplog):
    """The task row is gone (its project was deleted): the writer reports the lost lines and the
    log still closes promptly instead of retrying forever."""
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)
    with app_state(app).db.engine.begin() as conn:
        conn.execute(text("DELETE FROM task WHERE id = :t"), {"t": task_id})
    started = time.monotonic()
    log.write("nobody will read this")
    log.close()
    assert time.monotonic() - started < 10
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"task {task_id}: log lines 1-1 (1 lines) could not be stored and are lost: " + errors[0].split(
        "are lost: ", 1)[1]]


def test_a_closed_log_refuses_lines(app, task):
    task_id, project_id = task
    log = TaskLog(app_state(app), task_id, project_id)
    log.feed(b"unterminated")
    log.close()
    log.close()  # idempotent
    assert outputs(app, task_id) == ["unterminated"]
    with pytest.raises(RuntimeError, match="closed"):
        log.write("late")
