"""Keyed pseudonyms for person identifiers (HMAC-SHA256).

The same identifier under the same key always gives the same pseudonym, so
records from different agencies still link after pseudonymisation; without the
key a pseudonym cannot be traced back by hashing candidate identifiers. A
pseudonym is ``p_`` followed by the first 16 hex digits (64 bits) of the HMAC.

The key comes from the caller, the environment variable
``EARLYSIGNAL_PSEUDONYM_KEY``, or a key file; it is never written in a mapping.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from earlysignal.data._validate import map_values
from earlysignal.errors import ConfigError

__all__ = ["KEY_ENV_VAR", "METHOD", "Pseudonymiser", "pseudonymise"]

KEY_ENV_VAR = "EARLYSIGNAL_PSEUDONYM_KEY"
METHOD = "HMAC-SHA256"
PREFIX = "p_"
DIGITS = 16
MIN_KEY_LENGTH = 16


def _key_bytes(key: str | bytes, origin: str) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    raw = raw.strip()
    if len(raw) < MIN_KEY_LENGTH:
        raise ConfigError(origin, [
            f"the pseudonym key is {len(raw)} characters; use at least "
            f"{MIN_KEY_LENGTH} (e.g. the output of: python -c \"import secrets; "
            "print(secrets.token_hex(32))\")"
        ])
    return raw


class Pseudonymiser:
    """Replace identifiers with keyed pseudonyms, consistently across sources.

    Parameters
    ----------
    key : str or bytes
        The secret key, at least 16 characters. Keep it outside the project (an
        environment variable or a file only you can read); with it, anyone can
        link a known identifier to its pseudonym.
    key_source : str
        Where the key came from (``argument``, ``key file`` or ``environment``),
        so that a run can say how its identifiers were pseudonymised without
        ever recording the key.

    Examples
    --------
    >>> p = Pseudonymiser("an example key, not a secret")
    >>> p.one("1234567890")
    'p_755b7d0f685d8fd3'
    >>> p.facts()
    {'method': 'HMAC-SHA256', 'key_source': 'argument'}
    >>> p(pd.Series(["1234567890", None, " 1234567890 "])).tolist()
    ['p_755b7d0f685d8fd3', nan, 'p_755b7d0f685d8fd3']
    """

    def __init__(self, key: str | bytes, key_source: str = "argument") -> None:
        self._key = _key_bytes(key, "pseudonym key")
        self.key_source = key_source

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(key=***, key_source={self.key_source!r})"

    def facts(self) -> dict[str, str]:
        """How identifiers are pseudonymised: the method and where the key came
        from (never the key itself)."""
        return {"method": METHOD, "key_source": self.key_source}

    def one(self, identifier: object) -> str:
        """The pseudonym of one identifier (surrounding spaces ignored)."""
        msg = str(identifier).strip().encode("utf-8")
        digest = hmac.new(self._key, msg, hashlib.sha256).hexdigest()
        return PREFIX + digest[:DIGITS]

    def __call__(self, series: pd.Series) -> pd.Series:
        """Pseudonymise a Series; missing values stay missing. Hashes each distinct
        identifier once, so millions of rows with repeated ids stay fast."""
        text = series.astype("str").str.strip().where(series.notna())
        out = map_values(text, lambda u: pd.Series([self.one(x) for x in u],
                                                   dtype="str"))
        return out.astype("str")

    @classmethod
    def from_environment(
        cls,
        *,
        key: str | bytes | None = None,
        key_file: str | Path | None = None,
        origin: str = "mapping",
    ) -> Pseudonymiser:
        """The key from ``key``, else ``key_file``, else $EARLYSIGNAL_PSEUDONYM_KEY."""
        if key is not None:
            return cls(_key_bytes(key, origin))
        if key_file is not None:
            path = Path(key_file).expanduser()
            if not path.is_file():
                raise ConfigError(origin, [
                    f"key_file: not found (looked for {path.resolve()}); create it "
                    "with a long random key, or unset key_file: and set "
                    f"{KEY_ENV_VAR}"
                ])
            return cls(_key_bytes(path.read_bytes(), origin), "key file")
        env = os.environ.get(KEY_ENV_VAR)
        if env:
            return cls(_key_bytes(env, origin), "environment")
        raise ConfigError(origin, [
            f"pseudonymise: true needs a key; set the environment variable "
            f"{KEY_ENV_VAR}, or key_file: in the mapping (a path to a file holding "
            "the key), or pass key= when loading"
        ])


def pseudonymise(series: pd.Series, key: str | bytes) -> pd.Series:
    """Keyed pseudonyms (``p_`` + 16 hex digits of HMAC-SHA256) for a Series of ids.

    Examples
    --------
    >>> ids = pd.Series(["A1", "B2", "A1"])
    >>> out = pseudonymise(ids, "an example key, not a secret")
    >>> out[0] == out[2], out[0] != out[1], out[0].startswith("p_"), len(out[0])
    (True, True, True, 18)
    """
    return Pseudonymiser(key)(series)
