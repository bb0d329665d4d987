from tests.sso.slapd import slapd  # noqa: F401 - a fixture for the LDAP tests
