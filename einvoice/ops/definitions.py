"""A RabbitMQ definitions file for one procedure: least privilege per role and per municipality.

What it holds (the JSON ``rabbitmqctl import_definitions`` reads):

* the vhost (a parameter: one vhost per procedure is the isolation boundary, because
  publishing through the default exchange is checked on ``amq.default``, not on the queue);
* the worker's exchanges, queues and bindings with exactly the arguments the worker declares
  (``worker.topology.plan``), so a worker starting later finds them as it expects them;
* users and their permissions (configure / write / read regular expressions on resource names):

  ============  ===============================  ==================================  ====================
  role          configure                        write                               read
  ============  ===============================  ==================================  ====================
  publisher     nothing                          ``<p>.inbound`` (exchange)          nothing
  worker        the procedure's queues/exchanges ``amq.default``, ``<p>.dlx``,       ``<p>.inbound``,
                                                 ``<p>.inbound``/``failed`` (binds)  ``<p>.retry`` (DLX),
                                                                                     ``<p>.dlx`` (bind)
  admin         every ``<p>.*`` resource         ``amq.default`` and ``<p>.*``       every ``<p>.*``
  municipality  nothing                          nothing                             its own
                                                                                     ``<p>.accounting.<id>``
  ============  ===============================  ==================================  ====================

* a policy keeping the bodies of parked messages (failed, rejected, unroutable) out of memory.

Passwords never come from the repository: ``EINVOICE_PASSWORD_<ROLE>`` (municipalities:
``EINVOICE_PASSWORD_MUNICIPALITY_<ID>``, upper case, '-' as '_'), or ``<that variable>_FILE``
naming a file, or a file named like the user in a secrets directory (``/run/secrets`` style).
The file stores salted SHA-256 password hashes (RabbitMQ's default scheme), still it grants
access: write it with mode 0600 and do not commit it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from einvoice.routing.table import RoutingTable
from einvoice.worker.topology import Names, plan

HASHING = "rabbit_password_hashing_sha256"
RABBIT_VERSION = "3.10.8"
ROLES = ("publisher", "worker", "admin")
NOTHING = "^$"


@dataclass(frozen=True)
class UserSpec:
    name: str
    role: str  # publisher | worker | admin | municipality
    configure: str
    write: str
    read: str
    municipality: str | None = None

    @property
    def password_variable(self) -> str:
        if self.municipality is not None:
            return "EINVOICE_PASSWORD_MUNICIPALITY_" + _env_part(self.municipality)
        return "EINVOICE_PASSWORD_" + _env_part(self.role)


class MissingSecrets(ValueError):
    """Some users have no password in the environment or the secrets directory."""


def _env_part(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", text.upper())


def _q(name: str) -> str:
    """A resource name as an anchored-safe literal in Erlang's (PCRE) regular expressions."""
    return re.escape(name)


def user_name(prefix: str, role: str, municipality: str | None = None) -> str:
    return f"{prefix}-municipality-{municipality}" if municipality else f"{prefix}-{role}"


def users(names: Names, table: RoutingTable) -> list[UserSpec]:
    p = _q(names.prefix)
    own = f"^{p}\\.(inbound|dlx|rejected|unroutable|retry|failed|accounting\\..+)$"
    out = [
        UserSpec(user_name(names.prefix, "publisher"), "publisher", NOTHING,
                 f"^{_q(names.inbound_exchange)}$", NOTHING),
        UserSpec(user_name(names.prefix, "worker"), "worker", own,
                 f"^(amq\\.default|{_q(names.dead_letter_exchange)}|{_q(names.inbound)}|"
                 f"{_q(names.failed)})$",
                 f"^({_q(names.inbound)}|{_q(names.retry)}|{_q(names.dead_letter_exchange)})$"),
        UserSpec(user_name(names.prefix, "admin"), "admin", f"^{p}\\..+$",
                 f"^(amq\\.default|{p}\\..+)$", f"^{p}\\..+$"),
    ]
    for m in table.municipalities:
        out.append(UserSpec(user_name(names.prefix, "municipality", m.id), "municipality",
                            NOTHING, NOTHING, f"^{_q(names.accounting(m.id))}$", m.id))
    return out


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt ‖ sha256(salt ‖ password))."""
    s = os.urandom(4) if salt is None else salt
    return base64.b64encode(s + hashlib.sha256(s + password.encode("utf-8")).digest()).decode()


def resolve_passwords(specs: list[UserSpec], env: Mapping[str, str] | None = None,
                      secrets_dir: str | Path | None = None) -> dict[str, str]:
    """user name → password, from the environment or secret files; MissingSecrets lists gaps."""
    e = os.environ if env is None else env
    found: dict[str, str] = {}
    missing: list[str] = []
    for u in specs:
        var = u.password_variable
        value = e.get(var)
        if not value and e.get(var + "_FILE"):
            value = _read_secret(Path(e[var + "_FILE"]))
        if not value and secrets_dir is not None:
            candidate = Path(secrets_dir) / u.name
            if candidate.is_file():
                value = _read_secret(candidate)
        if value:
            found[u.name] = value
        else:
            missing.append(f"{u.name} (${var}, ${var}_FILE"
                           + (f" or {Path(secrets_dir) / u.name})" if secrets_dir else ")"))
    if missing:
        raise MissingSecrets("no password for: " + "; ".join(missing))
    return found


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MissingSecrets(f"cannot read secret file {path}: {exc.strerror or exc}") from None


def export(names: Names, table: RoutingTable, *, vhost: str, passwords: Mapping[str, str],
           quorum: bool = True, retry_delay_ms: int = 5000, delivery_limit: int = 20,
           policies: bool = True) -> dict[str, Any]:
    """The definitions document (a dict ready for ``json.dump``)."""
    specs = users(names, table)
    p = plan(names, table, quorum=quorum, retry_delay_ms=retry_delay_ms,
             delivery_limit=delivery_limit)
    parked = f"^({_q(names.failed)}|{_q(names.rejected)}|{_q(names.unroutable)})$"
    policy_defs = []
    if policies:
        policy_defs.append({
            "vhost": vhost,
            "name": f"{names.prefix}.parked",
            "pattern": parked,
            "apply-to": "queues",
            "priority": 0,
            # Parked messages are read rarely and can be large (full envelopes).
            "definition": {"max-in-memory-length": 0} if quorum else {"queue-mode": "lazy"},
        })
    return {
        "rabbit_version": RABBIT_VERSION,
        "rabbitmq_version": RABBIT_VERSION,
        "users": [{"name": u.name, "password_hash": password_hash(passwords[u.name]),
                   "hashing_algorithm": HASHING, "tags": [], "limits": {}} for u in specs],
        "vhosts": [{"name": vhost, "limits": [], "metadata": {
            "description": f"einvoice procedure '{table.procedure.name}' (prefix {names.prefix})",
            "tags": []}}],
        "permissions": [{"user": u.name, "vhost": vhost, "configure": u.configure,
                         "write": u.write, "read": u.read} for u in specs],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": policy_defs,
        "queues": [{"name": q.name, "vhost": vhost, "durable": True, "auto_delete": False,
                    "arguments": q.arguments} for q in p.queues],
        "exchanges": [{"name": x.name, "vhost": vhost, "type": x.type, "durable": True,
                       "auto_delete": False, "internal": False, "arguments": {}}
                      for x in p.exchanges],
        "bindings": [{"source": b.exchange, "vhost": vhost, "destination": b.queue,
                      "destination_type": "queue", "routing_key": b.routing_key, "arguments": {}}
                     for b in p.bindings],
    }
