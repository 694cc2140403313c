"""HTTP plumbing for the opt-in live refresh (``make fetch``): retries, disk cache, secrets.

Why this module exists: the three statistical APIs (Census, UN Comtrade, FRED) throttle (429),
fail transiently (5xx) and take their keys in the URL. One session type therefore

* retries transient failures with urllib3's ``Retry`` (exponential backoff with jitter, honours
  ``Retry-After``) but gives up quickly when the host cannot even be reached, so a run without
  network fails in seconds with a message naming the host instead of hanging;
* adds API keys only at send time, from the environment, so the key never appears in a cache key,
  manifest entry, log line or exception message (everything shown is passed through ``redact``);
* caches successful responses on disk keyed by the *public* URL, so an interrupted refresh can
  resume without hitting rate limits again.

``ReplayAdapter`` serves recorded responses through the real urllib3 retry machinery without
opening sockets; the tests use it, and it can replay a recorded exchange offline.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, ReadTimeoutError
from urllib3.response import HTTPResponse
from urllib3.util import Retry

from autotariffs import paths
from autotariffs.atomic import atomic_path
from autotariffs.errors import AutotariffsError

log = logging.getLogger(__name__)

REDACTED = "REDACTED"
#: environment variable -> query parameter name the API expects it in
SECRET_ENV_VARS = ("CENSUS_API_KEY", "COMTRADE_API_KEY", "FRED_API_KEY")
SECRET_PARAMS = ("key", "api_key", "subscription-key")
SECRET_HEADERS = ("Ocp-Apim-Subscription-Key",)
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 120.0
RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_CACHE_DIR = paths.FETCHED / ".cache"
USER_AGENT = "autotariffs-fetch/0.1 (research data refresh)"
#: minimum seconds between requests per host (documented/recommended pacing of each API)
MIN_INTERVAL_S = {"api.census.gov": 1.0, "comtradeapi.un.org": 6.0, "api.stlouisfed.org": 0.5,
                  "fred.stlouisfed.org": 0.5}

_PARAM_RE = re.compile(
    r"(?i)(?P<name>\b(?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r"))"
    r"(?P<sep>=|%3D|\"?\s*:\s*\"?)(?P<value>[^&#\s'\"<>,)]+)"
)
_HEADER_RE = re.compile(
    r"(?i)(?P<name>" + "|".join(re.escape(h) for h in SECRET_HEADERS) + r")"
    r"(?P<sep>'?\s*[:=]\s*'?)(?P<value>[^\s'\",}]+)"
)


class FetchError(AutotariffsError):
    """A live refresh failed; the message names the host/URL (keys redacted) and what to do."""

    def __init__(self, message: object = "") -> None:
        super().__init__(redact(message))


class NoNetworkError(FetchError):
    """The host could not be resolved or connected to (exit code 2 in ``fetch``)."""


class ApiError(FetchError):
    """The API answered, but with an error (bad parameter, bad key, retries exhausted...)."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        super().__init__(redact(message))
        self.status = status
        self.url = redact(url)


class AuthError(ApiError):
    """The API rejected the key (or requires one); never retried."""


class ApiFormatError(ApiError):
    """The body is not in the documented format (malformed JSON, missing columns...)."""


def current_secrets() -> list[str]:
    """Values of the API-key environment variables that are set (never logged)."""
    return [v for k in SECRET_ENV_VARS if (v := os.environ.get(k, "").strip()) and len(v) >= 4]


def redact(text: Any, secrets: Iterable[str] | None = None) -> str:
    """Replace key values in ``text`` by ``REDACTED``.

    Both the parameter form (``key=...``, ``api_key=...``, ``subscription-key=...``, header
    ``Ocp-Apim-Subscription-Key: ...``) and every literal key value found in the environment
    are masked, so a key leaks neither through a URL nor through an echo in an error body.
    """
    out = str(text)
    for secret in list(secrets or []) + current_secrets():
        if secret:
            out = out.replace(secret, REDACTED)
            out = out.replace(requests.utils.quote(secret, safe=""), REDACTED)
    out = _PARAM_RE.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", out)
    out = _HEADER_RE.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", out)
    return out


class RedactingFilter(logging.Filter):
    """Logging filter that redacts keys; urllib3 logs full request URLs at DEBUG level."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True


def install_log_redaction() -> None:
    """Attach ``RedactingFilter`` to the loggers that may see request URLs (idempotent)."""
    for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "requests", __name__,
                 "autotariffs.data.sources"):
        lg = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in lg.filters):
            lg.addFilter(RedactingFilter())


def scan_for_secret(root: Path, secret: str) -> list[Path]:
    """Every file under ``root`` whose path or bytes contain ``secret`` (raw or URL-encoded).

    Used by the secret-hygiene tests and by the lead to scan executed notebooks and outputs.
    """
    root = Path(root)
    needles = {secret.encode(), requests.utils.quote(secret, safe="").encode()}
    hits: list[Path] = []
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if secret in str(path):
            hits.append(path)
            continue
        data = path.read_bytes()
        if any(n in data for n in needles):
            hits.append(path)
    return hits


class PacedRetry(Retry):
    """urllib3 ``Retry`` whose sleeping goes through ``PacedRetry.sleeper``.

    Why: tests (and dry runs) replace the sleeper to assert that ``Retry-After`` is honoured
    without actually waiting.
    """

    sleeper: Callable[[float], None] = staticmethod(time.sleep)

    def sleep_for_retry(self, response):  # type: ignore[no-untyped-def]
        retry_after = self.get_retry_after(response)
        if retry_after:
            type(self).sleeper(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            type(self).sleeper(backoff)


def make_retry(backoff_factor: float = 1.0, status: int = 4, connect: int = 2) -> PacedRetry:
    """Retry policy: ``connect`` connection retries (fail fast offline), ``status`` retries on
    429/5xx with backoff 0, 2, 4, 8 s (+ jitter, capped at 60 s), Retry-After honoured."""
    return PacedRetry(
        total=connect + status + 2,
        connect=connect,
        read=2,
        status=status,
        other=0,
        redirect=3,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_max=60,
        backoff_jitter=0.5 if backoff_factor else 0.0,
        respect_retry_after_header=True,
        retry_after_max=300,
        raise_on_status=False,
    )


@dataclass(frozen=True)
class ApiResponse:
    """A response reduced to what the clients need; ``url`` is the public (key-free) URL."""

    url: str
    status: int
    content: bytes
    content_type: str
    retrieved_utc: str
    from_cache: bool = False

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


@dataclass
class ApiSession:
    """A ``requests.Session`` with retries, timeouts, disk cache and send-time secrets.

    ``get(url, params, secret_env=..., secret_param=...)`` returns an ``ApiResponse`` for any
    final status (the clients decide what an error means for their API); connection failures
    raise ``NoNetworkError`` naming the host.
    """

    cache_dir: Path | None = DEFAULT_CACHE_DIR
    use_cache: bool = True
    #: cached answers older than this are refetched: the cache is for resuming an interrupted
    #: refresh, not for serving stale data to a later one
    cache_max_age_s: float = 24 * 3600.0
    timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
    retry: Retry = field(default_factory=make_retry)
    session: requests.Session = field(default_factory=requests.Session)
    min_interval: Mapping[str, float] = field(default_factory=lambda: dict(MIN_INTERVAL_S))
    _last_sent: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        install_log_redaction()
        adapter = HTTPAdapter(max_retries=self.retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def mount(self, prefix: str, adapter: HTTPAdapter) -> None:
        self.session.mount(prefix, adapter)

    @staticmethod
    def public_url(url: str, params: Mapping[str, Any] | None = None) -> str:
        """The URL as sent but without any key: used for cache keys, manifests and messages."""
        prepared = requests.Request("GET", url, params=dict(params or {})).prepare()
        return redact(prepared.url)

    def _cache_paths(self, public_url: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(public_url.encode()).hexdigest()
        base = Path(self.cache_dir) / digest[:2] / digest
        return base.with_suffix(".body"), base.with_suffix(".json")

    def _read_cache(self, public_url: str) -> ApiResponse | None:
        cp = self._cache_paths(public_url)
        if not (self.use_cache and cp and cp[0].exists() and cp[1].exists()):
            return None
        meta = json.loads(cp[1].read_text(encoding="utf-8"))
        if meta.get("url") != public_url:  # hash collision or stale layout: ignore
            return None
        retrieved = datetime.strptime(meta["retrieved_utc"], "%Y-%m-%dT%H:%M:%SZ")
        age = (datetime.now(UTC) - retrieved.replace(tzinfo=UTC)).total_seconds()
        if age > self.cache_max_age_s:
            return None
        return ApiResponse(public_url, int(meta["status"]), cp[0].read_bytes(),
                           meta.get("content_type", ""), meta["retrieved_utc"], True)

    def _write_cache(self, resp: ApiResponse) -> None:
        cp = self._cache_paths(resp.url)
        if cp is None or resp.status not in (200, 204):
            return
        with atomic_path(cp[0]) as tmp:
            tmp.write_bytes(resp.content)
        meta = {"url": resp.url, "status": resp.status, "content_type": resp.content_type,
                "retrieved_utc": resp.retrieved_utc}
        with atomic_path(cp[1]) as tmp:
            tmp.write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n", encoding="utf-8")

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        secret_env: str | None = None,
        secret_param: str | None = None,
        secret_header: str | None = None,
        cacheable: Callable[[ApiResponse], bool] | None = None,
    ) -> ApiResponse:
        """GET ``url`` with ``params``; the key from ``secret_env`` (if set) is added at send time
        as query parameter ``secret_param`` or header ``secret_header``."""
        public = self.public_url(url, params)
        cached = self._read_cache(public)
        if cached is not None:
            log.debug("cache hit %s", public)
            return cached
        send_params = dict(params or {})
        headers: dict[str, str] = {}
        secret = os.environ.get(secret_env, "").strip() if secret_env else ""
        if secret:
            if secret_header:
                headers[secret_header] = secret
            elif secret_param:
                send_params[secret_param] = secret
        host = urlsplit(url).hostname or url
        wait = self._last_sent.get(host, -1e9) + self.min_interval.get(host, 0.0) - time.monotonic()
        if wait > 0:  # pace requests to stay under the API's short-window rate limit
            PacedRetry.sleeper(wait)
        self._last_sent[host] = time.monotonic()
        log.info("GET %s", public)
        try:
            r = self.session.get(url, params=send_params, headers=headers, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            reason = _root_reason(exc)
            if _is_unreachable(exc):
                raise NoNetworkError(
                    f"cannot reach {host} (no network?) after retries: {reason}. Request: "
                    f"{public}. Check the connection/proxy, or run the offline build "
                    "(data/raw is unchanged)."
                ) from None
            raise FetchError(
                f"{host} did not answer in time or dropped the connection after retries "
                f"({reason}; read timeout {self.timeout[1]:g} s). Request: {public}. Retry later;"
                " the cache keeps finished requests."
            ) from None
        except requests.RequestException as exc:
            raise FetchError(f"request to {host} failed: {redact(exc)}. Request: {public}") from None
        resp = ApiResponse(
            url=public,
            status=r.status_code,
            content=r.content,
            content_type=r.headers.get("Content-Type", ""),
            retrieved_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        if cacheable is None or cacheable(resp):
            self._write_cache(resp)
        return resp


def _root_reason(exc: BaseException) -> str:
    """Innermost cause of a requests/urllib3 error, redacted, without the URL noise."""
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        nxt = getattr(cur, "reason", None) or cur.__cause__ or cur.__context__
        if isinstance(nxt, BaseException):
            cur = nxt
        elif cur.args and isinstance(cur.args[0], BaseException):
            cur = cur.args[0]
        else:
            break
    last = seen[-1]
    return redact(f"{type(last).__name__}: {last}")


def _is_unreachable(exc: BaseException) -> bool:
    """True when the host was never reached (DNS failure, refused, connect timeout)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, ConnectTimeoutError | socket.gaierror | requests.ConnectTimeout):
            return True  # NameResolutionError and NewConnectionError subclass ConnectTimeoutError
        nxt = [getattr(cur, "reason", None), cur.__cause__, cur.__context__, *cur.args]
        todo += [n for n in nxt if isinstance(n, BaseException)]
    return False


# --------------------------------------------------------------------------- replay transport


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: status, headers and body bytes as the API sends them."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path, status: int = 200, content_type: str = "application/json",
                  headers: Mapping[str, str] | None = None) -> Recorded:
        return cls(status, Path(path).read_bytes(), {"Content-Type": content_type, **(headers or {})})


class Unreachable(AutotariffsError):
    """Marker in a replay script: behave as if DNS resolution failed for the host."""


class TimedOut(AutotariffsError):
    """Marker in a replay script: the host was reached but sent no answer (read timeout)."""


Route = Callable[[str], "Recorded | type[Unreachable] | type[TimedOut]"]


class ReplayAdapter(HTTPAdapter):
    """Transport adapter that answers from recordings instead of sockets.

    ``script`` is either a list consumed in order (one item per attempt, so retries can be
    scripted: e.g. ``[Recorded(429, headers={'Retry-After': '3'}), Recorded(200, body)]``) or a
    callable ``route(url) -> Recorded``. Requests go through urllib3's real retry logic.
    ``sent_urls`` holds every URL as sent (keys included; in memory only).
    """

    def __init__(self, script: list[Recorded | type[Unreachable] | type[TimedOut]] | Route,
                 max_retries: Retry | None = None) -> None:
        super().__init__(max_retries=max_retries or make_retry(backoff_factor=0))
        self.script = script
        self.sent_urls: list[str] = []
        self.sent_headers: list[dict[str, str]] = []

    def _next(self, url: str) -> Recorded | type[Unreachable]:
        if callable(self.script):
            return self.script(url)
        if not self.script:
            raise AssertionError(f"replay script exhausted; unexpected request {redact(url)}")
        return self.script.pop(0)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):  # noqa: ANN001
        parts = urlsplit(request.url)
        pool_cls = _ReplayHTTPSPool if parts.scheme == "https" else _ReplayHTTPPool
        return pool_cls(parts.hostname, parts.port, adapter=self)


class _ReplayMixin:
    adapter: ReplayAdapter

    def _make_request(self, conn, method, url, *args, **kwargs):  # noqa: ANN001
        full = f"{self.scheme}://{self.host}{url}"  # type: ignore[attr-defined]
        self.adapter.sent_urls.append(full)
        self.adapter.sent_headers.append(dict(kwargs.get("headers") or {}))
        item = self.adapter._next(full)
        if item is TimedOut:
            raise ReadTimeoutError(self, url, "Read timed out.")  # type: ignore[arg-type]
        if item is Unreachable:
            raise NameResolutionError(
                self.host, conn,  # type: ignore[attr-defined]
                socket.gaierror(-3, "Temporary failure in name resolution"),
            )
        assert isinstance(item, Recorded)
        return HTTPResponse(
            body=io.BytesIO(item.body), headers=dict(item.headers), status=item.status,
            preload_content=False, decode_content=False, request_method=method,
            request_url=url, pool=self, retries=kwargs.get("retries"),
        )


class _ReplayHTTPSPool(_ReplayMixin, HTTPSConnectionPool):
    def __init__(self, host: str, port: int | None, adapter: ReplayAdapter) -> None:
        super().__init__(host, port)
        self.adapter = adapter


class _ReplayHTTPPool(_ReplayMixin, HTTPConnectionPool):
    def __init__(self, host: str, port: int | None, adapter: ReplayAdapter) -> None:
        super().__init__(host, port)
        self.adapter = adapter


def replay_session(script: list[Recorded | type[Unreachable] | type[TimedOut]] | Route,
                   cache_dir: Path | None = None) -> tuple[ApiSession, ReplayAdapter]:
    """An ``ApiSession`` wired to a ``ReplayAdapter`` (no sockets, zero backoff)."""
    adapter = ReplayAdapter(script)
    sess = ApiSession(cache_dir=cache_dir, use_cache=cache_dir is not None,
                      retry=adapter.max_retries, min_interval={})
    sess.mount("https://", adapter)
    sess.mount("http://", adapter)
    return sess, adapter
