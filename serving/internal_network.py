"""Who may reach the internal doors of the Rasa server (the staff page, health and metrics): only
addresses of a configured network, never a client hidden behind a proxy nobody declared.

Only the chat-facing endpoints (/webhooks/..., /socket.io) face the internet."""
from __future__ import annotations

import ipaddress
import os

LOOPBACK = "127.0.0.0/8,::1/128"
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def networks(env_var: str, default: str = LOOPBACK) -> list:
    raw = os.environ.get(env_var) or default
    return [ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()]


def in_networks(address: str, env_var: str, default: str = LOOPBACK) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(env_var, default))


def allowed(request, env_var: str, default: str = LOOPBACK) -> bool:
    """A request forwarded by a proxy nobody declared (STADSLOKET_PROXIES_COUNT) comes from an
    unknown client behind the proxy's own, perhaps internal, address: refused."""
    forwarded = any(header in request.headers for header in FORWARDING_HEADERS)
    if forwarded and not request.app.config.get("PROXIES_COUNT"):
        return False
    return in_networks(request.remote_addr or request.ip or "", env_var, default)
