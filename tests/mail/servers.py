"""Real mail servers on loopback for the mail tests: Dovecot (IMAP) and aiosmtpd (SMTP)."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


# ---------------------------------------------------------------- SMTP


@dataclass
class CapturedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)


@dataclass
class SmtpSink:
    host: str
    port: int
    received: list[CapturedMail] = field(default_factory=list)
    refuse: int = 0  # answer the next N messages with a temporary failure

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.received.append(CapturedMail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    port = free_port()
    sink = SmtpSink(host="127.0.0.1", port=port)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


# ---------------------------------------------------------------- IMAP


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    user: str
    password: str


DOVECOT_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={base}/home/%u
}}
mail_location = maildir:{base}/home/%u/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextlib.contextmanager
def dovecot_server(workdir: Path) -> Iterator[Dovecot]:
    """A private Dovecot on a free loopback port; no system service or file is touched."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        raise FileNotFoundError("dovecot")
    port = free_port()
    if os.geteuid() == 0:
        user, group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    else:
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    base = workdir / "dovecot"
    for sub in ("run", "state", "home"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "passwd").write_text("support:{PLAIN}imap-secret-1\n")
    config = base / "dovecot.conf"
    config.write_text(DOVECOT_CONFIG.format(base=base, user=user, group=group, port=port))
    if os.geteuid() == 0:
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
        for path in [workdir, base, *base.rglob("*")]:
            os.chown(path, uid, gid)
        os.chown(base / "run", 0, 0)
        os.chown(config, 0, 0)
        (workdir).chmod(0o755)
    # Dovecot daemonizes; its children must not hold our pipes open.
    with (base / "start.log").open("wb") as log:
        subprocess.run([binary, "-c", str(config)], check=True, stdout=log, stderr=log, timeout=30)
    try:
        wait_for_port(port)
        yield Dovecot(host="127.0.0.1", port=port, user="support", password="imap-secret-1")
    finally:
        pid_file = base / "run" / "master.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        time.sleep(0.2)
