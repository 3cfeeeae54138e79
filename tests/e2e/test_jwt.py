"""App-signed JWTs as user tokens (issue 26, item 3): HS256 with a shared secret, RS256 and
ES256 from a key set the test serves itself, and every way a token must fail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

SECRET = "app-shared-secret-of-enough-length-for-hs256"


def token(key, alg="HS256", **claims) -> str:
    body = {"sub": "app-7", "exp": int(time.time()) + 600, "iat": int(time.time()), **claims}
    headers = {"kid": claims.pop("kid")} if "kid" in claims else None
    body.pop("kid", None)
    return jwt.encode(body, key, algorithm=alg, headers=headers)


@pytest.mark.gen_test(timeout=30)
async def test_hs256_tokens_work_everywhere_a_user_token_does_and_bad_ones_never(start_server):
    running = await start_server(
        auth_jwt_secret=SECRET,
        auth_jwt_issuer="https://app.example",
        auth_jwt_audience="ezchat",
        auth_jwt_provision=True,
    )
    api = Api(running.base)
    good = token(SECRET, iss="https://app.example", aud="ezchat", name="Seven")
    me = await api.call("GET", "/api/users/me", token=good)
    assert me.status == 200, me.body
    assert me.body["external_id"] == "app-7" and me.body["display_name"] == "Seven"
    again = await api.call("GET", "/api/users/me", token=good)
    assert again.body["id"] == me.body["id"]  # made once
    ws = await Ws.connect(running.ws_base, good, header=True)  # /ws takes it too
    ticket = await api.call("POST", "/api/auth/ws-ticket", token=good)
    assert ticket.status == 201
    ws.close()

    now = int(time.time())
    bad = {
        "wrong signature": token(
            "another-secret-entirely-of-some-length", iss="https://app.example", aud="ezchat"
        ),
        "expired": token(SECRET, iss="https://app.example", aud="ezchat", exp=now - 3600),
        "wrong issuer": token(SECRET, iss="https://evil.example", aud="ezchat"),
        "wrong audience": token(SECRET, iss="https://app.example", aud="someone-else"),
        "no exp": jwt.encode(
            {"sub": "app-7", "iss": "https://app.example", "aud": "ezchat"},
            SECRET,
            algorithm="HS256",
        ),
        "alg none": jwt.encode(
            {"sub": "app-7", "exp": now + 600, "iss": "https://app.example", "aud": "ezchat"},
            None,  # type: ignore[arg-type]  # "none" signs with no key
            algorithm="none",
        ),
        "a sub that is no id": token(SECRET, iss="https://app.example", aud="ezchat", sub="a/b c"),
    }
    for why, t in bad.items():
        r = await api.call("GET", "/api/users/me", token=t)
        assert r.status == 401, why
    api.http.close()


class _Keys(BaseHTTPRequestHandler):
    jwks: dict = {}
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = json.dumps(type(self).jwks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_by_hand(secret: bytes, kid: str) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps({"sub": "app-7", "exp": int(time.time()) + 600}).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def jwk_of(private, kid: str, alg: str) -> dict:
    public = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(private.public_key()))
    return {**public, "kid": kid, "alg": alg, "use": "sig"}


@pytest.mark.gen_test(timeout=30)
async def test_rs256_and_es256_from_a_key_set_read_again_for_a_new_key(start_server):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())

    class keys(_Keys):  # noqa: N801 - a handler class of this test's own
        jwks = {"keys": [jwk_of(rsa_key, "r1", "RS256")]}
        hits = 0

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), keys)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"
        running = await start_server(auth_jwks_url=url, auth_jwt_provision=True)
        api = Api(running.base)
        ok = await api.call("GET", "/api/users/me", token=token(rsa_key, "RS256", kid="r1"))
        assert ok.status == 200, ok.body
        # Key confusion: an HS256 token whose HMAC key is the public key's PEM (PyJWT will
        # not make one, so it is made by hand here): never checked against the public key.
        pem = rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        confused = await api.call("GET", "/api/users/me", token=hs256_by_hand(pem, "r1"))
        assert confused.status == 401
        hs = await api.call("GET", "/api/users/me", token=token("x" * 40, "HS256", kid="r1"))
        assert hs.status == 401
        # The app rotates to an EC key: the unknown kid makes the server read the set again.
        keys.jwks = {"keys": [jwk_of(rsa_key, "r1", "RS256"), jwk_of(ec_key, "e1", "ES256")]}
        before = keys.hits
        running.app.services.auth.external._tokens._read_at = float("-inf")  # past the pause
        ec_ok = await api.call("GET", "/api/users/me", token=token(ec_key, "ES256", kid="e1"))
        assert ec_ok.status == 200, ec_ok.body
        assert keys.hits == before + 1
        unknown = await api.call("GET", "/api/users/me", token=token(ec_key, "ES256", kid="zz"))
        assert unknown.status == 401
        assert keys.hits == before + 1, "a made-up kid does not make it ask again at once"
        api.http.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
