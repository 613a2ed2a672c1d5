"""ldap_mappings are claim expressions over the entry's attributes (and ``dn``)."""

from __future__ import annotations

import re

from semaphore_auth_ldap.testing import person_dn


def test_the_default_mappings_read_uid_mail_and_cn(authenticate):
    identity = authenticate("bob", "bob's password")
    assert (identity.username, identity.email, identity.name, identity.external) == (
        "bob", "bob@example.test", "Bob Builder", True)
    assert identity.role_mappings is None  # no ldap_role_mappings: roles are left as they are


def test_a_template_fills_in_a_missing_email(authenticate):
    identity = authenticate("nomail", "nomail's password", MAPPING_MAIL="mail | {{ .uid }}@mail.example.test")
    assert identity.email == "nomail@mail.example.test"
    assert authenticate("ann", "ann's password", MAPPING_MAIL="mail | {{ .uid }}@x").email == "ann@example.test"


def test_an_empty_alternative_is_a_random_value(authenticate):
    first = authenticate("ann", "ann's password", MAPPING_UID="employeeNumber |")
    second = authenticate("ann", "ann's password", MAPPING_UID="employeeNumber |")
    assert re.fullmatch(r"[a-z0-9]{16}", first.username) and first.username != second.username


def test_names_are_attributes_of_any_case_and_the_dn(authenticate):
    identity = authenticate("ann", "ann's password", MAPPING_UID="UID", MAPPING_MAIL="MAIL",
                            MAPPING_CN="displayName | {{ .givenName }} | {{ .dn }}")
    assert (identity.username, identity.email, identity.name) == ("ann", "ann@example.test", person_dn("ann"))


def test_a_name_that_gives_nothing_falls_back_to_the_username(authenticate):
    assert authenticate("ann", "ann's password", MAPPING_CN="displayName").name == "ann"


def test_the_login_is_lower_cased(authenticate):
    assert authenticate("ann", "ann's password", MAPPING_UID="{{ .cn }}").username == "ann example"
