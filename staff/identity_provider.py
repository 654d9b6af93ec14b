"""Signing in with the city's identity provider (OpenID Connect), switched on by configuration.

The authorization-code flow with PKCE. `authorization_redirect` sends the browser to the provider
with a fresh state, nonce and code verifier, kept in the database (table staff_oidc_logins) rather
than in the worker's memory, so any worker of the server can finish the sign-in. `member_from_callback`
uses that state once, trades the code for an ID token, checks the token's signature and claims,
and makes or updates the local account from the claims. Such an account has no password hash, so
only the provider can vouch for it. Tokens, codes and claims are never logged: they identify people
and can be replayed.
"""
from __future__ import annotations

import datetime as dt
import os
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Optional

import httpx
import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib import deprecate  # noqa: F401  sets Authlib's "always" filter before ours below
with warnings.catch_warnings():  # Authlib 1.9 suggests httpx2 on import; plain httpx works
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from staff.accounts import NAME, StaffMember
from staff.store import StaffStore, oidc_logins as logins, utcnow

LOGIN_LIFETIME = dt.timedelta(minutes=10)  # longer than anyone takes at the provider's page
ALGORITHMS = ["RS256", "ES256"]  # never "none" nor HS256 (which would make the client secret a key)
CLOCK_LEEWAY_SECONDS = 30  # the provider's clock and ours may differ a little
TIMEOUT_SECONDS = 10

class IdentityRefused(Exception):
    """The provider's answer cannot be trusted or used; nobody is signed in."""


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str
    role_claim: str = "roles"
    teamlead_value: str = "teamlead"
    team_claim: str = "team"
    default_team: str = "stadsloketten"


REQUIRED = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URL")
OPTIONAL = ("ROLE_CLAIM", "TEAMLEAD_VALUE", "TEAM_CLAIM", "DEFAULT_TEAM")  # unset: the Settings defaults


def configured() -> Optional[Settings]:
    """The settings from STADSLOKET_OIDC_* variables, or None when sign-in by provider is off."""
    values = [os.environ.get(f"STADSLOKET_OIDC_{name}") for name in REQUIRED]
    if not all(values):
        return None
    chosen = {name.lower(): os.environ.get(f"STADSLOKET_OIDC_{name}") for name in OPTIONAL}
    return Settings(*values, **{field: value for field, value in chosen.items() if value})


# --- the provider ---------------------------------------------------------------------------------

_discovered: Dict[str, Dict[str, Any]] = {}  # issuer -> discovery document; endpoints rarely move
NETWORK_ERRORS = (httpx.HTTPError, AuthlibBaseError, ValueError)  # ValueError: a body that is no JSON object


def _client(settings: Settings) -> AsyncOAuth2Client:
    """Sends the client secret as HTTP Basic (client_secret_basic) and a S256 code challenge."""
    return AsyncOAuth2Client(
        client_id=settings.client_id, client_secret=settings.client_secret,
        token_endpoint_auth_method="client_secret_basic", code_challenge_method="S256",
        scope="openid profile email", redirect_uri=settings.redirect_url, timeout=TIMEOUT_SECONDS,
    )


async def _get_json(client: AsyncOAuth2Client, url: str) -> Dict[str, Any]:
    answer = await client.request("GET", url, withhold_token=True)  # .get() cannot pass withhold_token
    answer.raise_for_status()
    found = answer.json()
    if not isinstance(found, dict):
        raise ValueError("not a JSON object")
    return found


async def _discovery(client: AsyncOAuth2Client, issuer: str) -> Dict[str, Any]:
    """The discovery document, which must name the configured issuer (OpenID Connect Discovery 4.3):
    otherwise another provider could hand out endpoints and keys in its name."""
    if issuer not in _discovered:
        found = await _get_json(client, issuer.rstrip("/") + "/.well-known/openid-configuration")
        endpoints = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if found.get("issuer") != issuer or not all(isinstance(found.get(key), str) for key in endpoints):
            raise IdentityRefused("discovery document does not fit the issuer")
        _discovered[issuer] = found
    return _discovered[issuer]


# --- pending sign-ins -----------------------------------------------------------------------------

def _remember(store: StaffStore, state: str, nonce: str, code_verifier: str) -> None:
    now = utcnow()

    def work(conn) -> None:
        conn.execute(logins.delete().where(logins.c.created_at < now - LOGIN_LIFETIME))
        conn.execute(logins.insert().values(state=state, nonce=nonce, code_verifier=code_verifier, created_at=now))

    store.transact(work)


def _take(store: StaffStore, state: str) -> Optional[Dict[str, Any]]:
    """The pending sign-in of a state, deleted as it is read so that a replayed answer fails; None
    when unknown or older than LOGIN_LIFETIME. Of two requests racing with one state, only the one
    whose delete removed the row gets it."""
    if not state or len(state) > 64:
        return None
    now = utcnow()

    def work(conn) -> Optional[Dict[str, Any]]:
        conn.execute(logins.delete().where(logins.c.created_at < now - LOGIN_LIFETIME))
        row = conn.execute(sa.select(logins).where(logins.c.state == state)).first()
        if row is None or conn.execute(logins.delete().where(logins.c.state == state)).rowcount != 1:
            return None
        return dict(row._mapping)

    return store.transact(work)


# --- the flow -------------------------------------------------------------------------------------


async def authorization_redirect(settings: Settings, store: StaffStore) -> str:
    """The provider's URL to send the browser to; the state, nonce and verifier stay here."""
    state, nonce, code_verifier = generate_token(48), generate_token(48), generate_token(64)
    try:
        async with _client(settings) as client:
            provider = await _discovery(client, settings.issuer)
            url, _ = client.create_authorization_url(
                provider["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce
            )
    except NETWORK_ERRORS as error:
        raise IdentityRefused(f"provider unreachable ({type(error).__name__})") from None
    _remember(store, state, nonce, code_verifier)
    return url


async def member_from_callback(settings: Settings, store: StaffStore, arguments: Dict[str, str]) -> StaffMember:
    """The member the provider vouches for, with their account made or updated; else IdentityRefused.
    The state is used up first, also when the provider reports an error."""
    pending = _take(store, arguments.get("state") or "")
    if arguments.get("error"):
        raise IdentityRefused("the provider reported an error")
    if pending is None or not arguments.get("code"):
        raise IdentityRefused("unknown, used or expired state, or no code")
    try:
        async with _client(settings) as client:
            provider = await _discovery(client, settings.issuer)
            token = await client.fetch_token(
                provider["token_endpoint"], grant_type="authorization_code",
                code=arguments["code"], code_verifier=pending["code_verifier"],
            )
            jwks = await _get_json(client, provider["jwks_uri"])  # fetched each time: keys rotate
    except NETWORK_ERRORS as error:
        raise IdentityRefused(f"token exchange failed ({type(error).__name__})") from None
    claims = _verified_claims(token.get("id_token"), jwks, settings, pending["nonce"])
    member = _member_of(claims, settings)
    identity = f"{settings.issuer} {claims['sub']}"
    existing = store.account(member.name)
    if existing and (existing["password_hash"] or existing["identity"] != identity):
        # A local account, or another person's, of that name stays as it is: names folded from
        # claims can collide ("rené" and "rene"), the provider's subject cannot.
        raise IdentityRefused("that account name belongs to someone else")
    store.add_account(member.name, member.display_name, member.role, member.team, None, identity)
    return member


def _verified_claims(id_token: Any, jwks: Dict[str, Any], settings: Settings, nonce: str) -> Dict[str, Any]:
    """The ID token's claims once its signature (a key of the provider's JWKS) and its issuer,
    audience, nonce and lifetime are right (OpenID Connect Core 3.1.3.7)."""
    if not isinstance(id_token, str):
        raise IdentityRefused("no ID token")
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": settings.client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        azp={"value": settings.client_id},  # when present, the token was issued to us
    )
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        registry.validate(token.claims)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise IdentityRefused(f"ID token not accepted ({type(error).__name__})") from None
    return token.claims


def _account_name(value: Any) -> str:
    """A value reduced to the account name pattern: lower case, accents dropped, other characters
    left out; '' when nothing usable is left."""
    if not isinstance(value, str):
        return ""
    plain = unicodedata.normalize("NFKD", value.strip().lower()).encode("ascii", "ignore").decode()
    kept = "".join(c for c in plain if c.isalnum() or c in "._-").lstrip("._-")[:64]
    return kept if NAME.match(kept) else ""


def _text(value: Any, longest: int) -> str:
    return value.strip()[:longest] if isinstance(value, str) else ""


def _member_of(claims: Dict[str, Any], settings: Settings) -> StaffMember:
    email = claims.get("email")
    verified = claims.get("email_verified") is True
    local_part = email.split("@", 1)[0] if isinstance(email, str) and verified else None
    username = claims.get("preferred_username")
    if isinstance(username, str) and "@" in username:  # some providers put the e-mail address there
        username = username.split("@", 1)[0]
    name = next(filter(None, map(_account_name, (username, local_part, claims.get("sub")))), "")
    if not name:
        raise IdentityRefused("no usable account name in the claims")
    display_name = _text(claims.get("given_name"), 120) or _text(claims.get("name"), 120) or name
    roles = claims.get(settings.role_claim)
    is_lead = settings.teamlead_value in roles if isinstance(roles, list) else roles == settings.teamlead_value
    team = _text(claims.get(settings.team_claim), 64) or settings.default_team
    return StaffMember(name, display_name, "teamlead" if is_lead else "trainee", team)
