"""A real OpenLDAP server for the LDAP tests: Debian's slapd on a free loopback port with a temporary
slapd.conf (mdb backend) and a small company directory loaded with ldapadd."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = Path("/usr/sbin/slapd")
SUFFIX = "dc=corp,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
SERVICE_DN = f"cn=otklik,{SUFFIX}"
SERVICE_PASSWORD = "service-secret"
PEOPLE_BASE = f"ou=people,{SUFFIX}"
GROUPS_BASE = f"ou=groups,{SUFFIX}"
AGENTS_GROUP = f"cn=support-agents,{GROUPS_BASE}"

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
access to attrs=userPassword by self read by anonymous auth by * none
access to * by users read by anonymous auth
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
"""


def person(uid: str, given: str, family: str, *, department: str = "", extra: str = "") -> str:
    lines = [
        f"dn: uid={uid},{PEOPLE_BASE}",
        "objectClass: inetOrgPerson",
        f"uid: {uid}",
        f"cn: {given} {family}",
        f"givenName: {given}",
        f"sn: {family}",
        f"mail: {uid}@corp.example",
        f"userPassword: {uid}-pass",
        "telephoneNumber: +7 495 123-45-67",
    ]
    if department:
        lines.append(f"departmentNumber: {department}")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


DIRECTORY = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp\n",
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: otklik\n"
        f"userPassword: {SERVICE_PASSWORD}\n",
        f"dn: {PEOPLE_BASE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS_BASE}\nobjectClass: organizationalUnit\nou: groups\n",
        person("ivan", "Ivan", "Petrov", department="Finance"),
        person("olga", "Olga", "Smirnova", department="Support"),
        person("petr", "Petr", "Leaving"),
        person("dina", "Dina", "Disabled"),
        person("gone", "Gone", "Soon"),
        f"dn: {AGENTS_GROUP}\nobjectClass: groupOfNames\ncn: support-agents\nmember: uid=olga,{PEOPLE_BASE}\n"
        f"member: uid=dina,{PEOPLE_BASE}\n",
    ]
)


@dataclass(frozen=True)
class Directory:
    uri: str

    def modify(self, ldif: str) -> None:
        _ldap_tool("ldapmodify", self.uri, ldif)

    def delete(self, dn: str) -> None:
        subprocess.run(
            ["ldapdelete", "-x", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD, dn],
            check=True,
            capture_output=True,
            timeout=20,
        )


def _ldap_tool(tool: str, uri: str, ldif: str) -> None:
    subprocess.run(
        [tool, "-x", "-H", uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
        input=ldif.encode(),
        check=True,
        capture_output=True,
        timeout=20,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def slapd() -> Iterator[Directory]:
    if not SLAPD.exists() or shutil.which("ldapadd") is None:
        pytest.skip("LDAP: /usr/sbin/slapd or ldapadd is missing (apt-get install -y slapd ldap-utils; CI does)")
    pytest.importorskip("django_auth_ldap", reason="LDAP: the `ldap` extra (django-auth-ldap) is not installed")
    work = Path(tempfile.mkdtemp(prefix="otklik-slapd-"))
    (work / "data").mkdir()
    conf = work / "slapd.conf"
    conf.write_text(CONFIG.format(dir=work, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD))
    port = _free_port()
    uri = f"ldap://127.0.0.1:{port}"
    # -d keeps slapd in the foreground (it never forks), so the suite owns the process.
    process = subprocess.Popen(
        [str(SLAPD), "-f", str(conf), "-h", f"{uri}/", "-d", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = subprocess.run(
                ["ldapsearch", "-x", "-H", uri, "-b", "", "-s", "base", "(objectClass=*)"],
                capture_output=True,
                timeout=10,
            )
            if probe.returncode == 0:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.2)
        _ldap_tool("ldapadd", uri, DIRECTORY)
        yield Directory(uri=uri)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
