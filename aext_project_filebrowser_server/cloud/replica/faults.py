"""Opt-in fault injection, so client retry and recovery code can be tested over real HTTP.

Spec grammar (`--faults`, `PUT /_replica/faults`, or `parse_faults()`): comma-separated
`key=value` items, all optional; an empty spec (or `off`) injects nothing.

- `latency=50ms`: delay before answering (`ms` or `s` suffix; a bare number is ms).
- `error_rate=0.1`: probability of answering `status` instead of doing the work.
- `status=503`: the 5xx status used by `error_rate` (default 503).
- `rate_limit=429:retry_after=1[:rate=P][:rps=N]`: answer 429 (or the given 4xx/5xx) with
  `Retry-After: 1`. Which requests: with `rps=N`, those beyond a token bucket of N requests
  per second (burst N); otherwise each request with probability `rate` (default 1.0, i.e.
  every request while the fault is set — handy with the admin route to simulate throttling).
- `drop_rate=0.05`: probability of closing the connection without any answer.
- `seed=7`: seed of the `random.Random` that draws the probabilities (default 0).
- `methods=PUT|DELETE`: only requests with these methods are faulted (default: all).

Determinism: every faulted request draws exactly three numbers from the seeded generator, in
order (drop, rate limit, error), whatever the outcome, so with one client issuing requests in
sequence the i-th request's fate depends only on the spec. Precedence: drop, then rate limit,
then error. Latency applies to every faulted request. `GET /api/projects/healthz` and the
admin route are never faulted.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Action = Literal["none", "drop", "rate_limit", "error"]


@dataclass(frozen=True)
class FaultSpec:
    """What to inject; the default value injects nothing."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    status: int = 503
    rate_limit_status: int | None = None
    retry_after_s: int = 1
    rate_limit_rate: float = 1.0
    rate_limit_rps: float | None = None
    drop_rate: float = 0.0
    seed: int = 0
    methods: frozenset[str] | None = None

    @property
    def active(self) -> bool:
        return bool(self.latency_s or self.error_rate or self.drop_rate or self.rate_limit_status)

    def __str__(self) -> str:
        """The canonical spec string; `parse_faults(str(spec)) == spec`."""
        items: list[str] = []
        if self.latency_s:
            items.append(f"latency={self.latency_s * 1000:g}ms")
        if self.error_rate:
            items.append(f"error_rate={self.error_rate:g}")
        if self.status != 503:
            items.append(f"status={self.status}")
        if self.rate_limit_status is not None:
            rl = f"rate_limit={self.rate_limit_status}:retry_after={self.retry_after_s}"
            if self.rate_limit_rate != 1.0:
                rl += f":rate={self.rate_limit_rate:g}"
            if self.rate_limit_rps is not None:
                rl += f":rps={self.rate_limit_rps:g}"
            items.append(rl)
        if self.drop_rate:
            items.append(f"drop_rate={self.drop_rate:g}")
        if self.seed:
            items.append(f"seed={self.seed}")
        if self.methods is not None:
            items.append("methods=" + "|".join(sorted(self.methods)))
        return ",".join(items)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    delay_s: float = 0.0
    action: Action = "none"
    status: int = 200
    retry_after_s: int = 0


NO_FAULT = FaultDecision()


def _probability(key: str, value: str) -> float:
    p = float(value)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{key} must be between 0 and 1, got {value!r}")
    return p


def _duration_s(value: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*", value)
    if not m:
        raise ValueError(f"latency must look like 50ms or 0.2s, got {value!r}")
    number = float(m.group(1))
    return number if m.group(2) == "s" else number / 1000.0


def _status(key: str, value: str, low: int) -> int:
    status = int(value)
    if not low <= status <= 599:
        raise ValueError(f"{key} must be an HTTP status in {low}..599, got {value!r}")
    return status


def _rate_limit(value: str) -> dict[str, object]:
    out: dict[str, object] = {"rate_limit_status": 429}
    for token in filter(None, (t.strip() for t in value.split(":"))):
        if token.isdigit():
            out["rate_limit_status"] = _status("rate_limit", token, 400)
            continue
        key, sep, val = token.partition("=")
        if not sep:
            raise ValueError(f"rate_limit: cannot read {token!r}")
        if key == "retry_after":
            out["retry_after_s"] = int(val)
        elif key == "rate":
            out["rate_limit_rate"] = _probability("rate_limit rate", val)
        elif key == "rps":
            rps = float(val)
            if rps <= 0:
                raise ValueError("rate_limit rps must be positive")
            out["rate_limit_rps"] = rps
        else:
            raise ValueError(f"rate_limit: unknown option {key!r}")
    return out


def parse_faults(spec: str) -> FaultSpec:
    """Parse a fault spec string (grammar in the module docstring); raises `ValueError`."""
    fields: dict[str, object] = {}
    text = spec.strip()
    if text.lower() in ("", "off", "none"):
        return FaultSpec()
    for item in filter(None, (i.strip() for i in text.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise ValueError(f"fault spec item {item!r} is not key=value")
        try:
            if key == "latency":
                fields["latency_s"] = _duration_s(value)
            elif key in ("error_rate", "drop_rate"):
                fields[key] = _probability(key, value)
            elif key == "status":
                fields["status"] = _status(key, value, 500)
            elif key == "rate_limit":
                fields.update(_rate_limit(value))
            elif key == "seed":
                fields["seed"] = int(value)
            elif key == "methods":
                fields["methods"] = frozenset(m.strip().upper() for m in value.split("|") if m)
            else:
                raise ValueError(f"unknown fault {key!r}")
        except ValueError as e:
            raise ValueError(f"bad fault spec {spec!r}: {e}") from None
    return FaultSpec(**fields)  # type: ignore[arg-type]


class FaultInjector:
    """Draws the fate of each request from a `FaultSpec`.

    A class because it owns mutable state (the generator and the token bucket); replace the
    whole injector to change the spec, which also restarts the seeded sequence.
    """

    def __init__(self, spec: FaultSpec, clock: Callable[[], float] = time.monotonic) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed)
        self._clock = clock
        self._tokens = spec.rate_limit_rps or 0.0
        self._last = clock()

    def _bucket_empty(self, rps: float) -> bool:
        now = self._clock()
        self._tokens = min(rps, self._tokens + (now - self._last) * rps)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return False
        return True

    def decide(self, method: str) -> FaultDecision:
        spec = self.spec
        if not spec.active or (spec.methods is not None and method.upper() not in spec.methods):
            return NO_FAULT
        drop, limit, error = self._rng.random(), self._rng.random(), self._rng.random()
        if drop < spec.drop_rate:
            return FaultDecision(spec.latency_s, "drop")
        if spec.rate_limit_status is not None:
            limited = (
                self._bucket_empty(spec.rate_limit_rps)
                if spec.rate_limit_rps is not None
                else limit < spec.rate_limit_rate
            )
            if limited:
                return FaultDecision(
                    spec.latency_s, "rate_limit", spec.rate_limit_status, spec.retry_after_s
                )
        if error < spec.error_rate:
            return FaultDecision(spec.latency_s, "error", spec.status)
        return FaultDecision(spec.latency_s)
