"""Password hashing with hashlib.scrypt, run on a thread so the event loop never waits on it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from concurrent.futures import ThreadPoolExecutor

DKLEN = 32


class ScryptPasswordHasher:
    """Hashes look like ``scrypt$N$r$p$salt$hash`` (base64), so the cost can change later
    without breaking stored hashes."""

    def __init__(self, *, n: int = 2**14, r: int = 8, p: int = 1, threads: int = 2) -> None:
        if n < 2 or n & (n - 1):
            raise ValueError("scrypt n must be a power of two")
        self._n, self._r, self._p = n, r, p
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scrypt")

    async def hash(self, password: str) -> str:
        salt = os.urandom(16)
        digest = await self._run(password, salt, self._n, self._r, self._p)
        b64 = base64.b64encode
        return f"scrypt${self._n}${self._r}${self._p}${b64(salt).decode()}${b64(digest).decode()}"

    async def verify(self, password: str, password_hash: str) -> bool:
        try:
            name, n, r, p, salt, digest = password_hash.split("$")
            if name != "scrypt":
                return False
            expected = base64.b64decode(digest)
            actual = await self._run(password, base64.b64decode(salt), int(n), int(r), int(p))
        except ValueError:
            return False
        return hmac.compare_digest(expected, actual)

    async def _run(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool,
            lambda: hashlib.scrypt(
                password.encode(),
                salt=salt,
                n=n,
                r=r,
                p=p,
                maxmem=256 * n * r + 2**20,
                dklen=DKLEN,
            ),
        )

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
