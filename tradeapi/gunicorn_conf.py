"""gunicorn's settings for `make serve`: which proxies may say a request came over HTTPS.

gunicorn on its own believes `X-Forwarded-Proto: https` from 127.0.0.1 and then marks the
request secure, whatever Django was told: a client on the same host (or any proxy there that
passes headers through) could make a plain-HTTP request look like HTTPS to Django (secure
cookies sent, the HTTPS redirect skipped). The header is trusted only when BEHIND_TLS_PROXY
says a TLS-terminating proxy sets it, and then only from FORWARDED_ALLOW_IPS.
"""

from __future__ import annotations

from tradeapi.env import env_bool, env_str

_behind_proxy = env_bool("BEHIND_TLS_PROXY", False)

# gunicorn reads these module-level names as its configuration.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1") if _behind_proxy else ""
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"} if _behind_proxy else {}
