"""TOTP two-factor login against the real `semaphore server` process, driven with curl and cookie
jars as a browser would: without a valid code an enrolled user gets no usable session."""

from __future__ import annotations

import shutil
import time

import pyotp
import pytest
from live_server import ADMIN
from process_helpers import ServerProcess
from test_server_e2e import Curl

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")


def jar(name):
    return ("-b", name, "-c", name)


def test_an_enrolled_user_needs_the_code_for_a_session(tmp_path):
    server = ServerProcess(tmp_path, env={**ADMIN, "SEMAPHORE_TOTP_ENABLED": "true",
                                          "SEMAPHORE_TOTP_ALLOW_RECOVERY": "true"}).start()
    try:
        curl = Curl(server.url, tmp_path)
        login = {"auth": ADMIN["SEMAPHORE_ADMIN"], "password": ADMIN["SEMAPHORE_ADMIN_PASSWORD"]}
        first = jar("first.txt")
        assert curl("POST", "/api/auth/login", *first, json_body=login) == (204, None)
        status, me = curl("GET", "/api/user", *first)
        assert status == 200
        status, enrolment = curl("POST", f"/api/users/{me['id']}/2fas/totp", *first)
        assert status == 201 and len(enrolment["recovery_codes"]) == 8
        secret = enrolment["secret"]
        qr = tmp_path / "qr.png"
        assert curl("GET", f"/api/users/{me['id']}/2fas/totp/{enrolment['id']}/qr", *first, "-o", str(qr))[0] == 200
        assert qr.read_bytes().startswith(b"\x89PNG")
        status, _ = curl("POST", f"/api/users/{me['id']}/2fas/totp/{enrolment['id']}/confirm", *first,
                         json_body={"passcode": pyotp.TOTP(secret).now()})
        assert status == 200

        second = jar("second.txt")
        assert curl("POST", "/api/auth/login", *second, json_body=login) == (204, None)
        assert curl("GET", "/api/user", *second)[1]["error"] == "TOTP_REQUIRED"
        assert curl("POST", "/api/user/tokens", *second)[0] == 401  # no way around the code
        assert curl("POST", "/api/auth/verify", *second, json_body={"passcode": "000000"})[0] == 400
        assert curl("GET", "/api/user", *second)[0] == 401
        next_code = pyotp.TOTP(secret).at(time.time() + 30)
        assert curl("POST", "/api/auth/verify", *second, json_body={"passcode": next_code}) == (204, None)
        assert curl("GET", "/api/user", *second)[1]["username"] == ADMIN["SEMAPHORE_ADMIN"]

        third = jar("third.txt")
        assert curl("POST", "/api/auth/login", *third, json_body=login) == (204, None)
        code = enrolment["recovery_codes"][0]
        assert curl("POST", "/api/auth/recovery", *third, json_body={"recovery_code": code}) == (204, None)
        assert curl("GET", "/api/user", *third)[0] == 200
        fourth = jar("fourth.txt")
        assert curl("POST", "/api/auth/login", *fourth, json_body=login) == (204, None)
        assert curl("POST", "/api/auth/recovery", *fourth, json_body={"recovery_code": code})[0] == 400
        assert curl("GET", "/api/user", *fourth)[0] == 401
    finally:
        server.stop()
