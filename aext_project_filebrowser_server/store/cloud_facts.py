"""CRUD of `cloud_facts`: what a probe learned about a cloud, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CloudFact


@dataclass(frozen=True)
class Fact:
    value: str
    checked_at: datetime


def get_fact(session: Session, cloud_url: str, name: str) -> Fact | None:
    row = session.scalar(
        select(CloudFact).where(CloudFact.cloud_url == cloud_url, CloudFact.name == name)
    )
    return None if row is None else Fact(row.value, row.checked_at)


def put_fact(session: Session, cloud_url: str, name: str, value: str, at: datetime) -> None:
    row = session.get(CloudFact, (cloud_url, name))
    if row is None:
        session.add(CloudFact(cloud_url=cloud_url, name=name, value=value, checked_at=at))
    else:
        row.value, row.checked_at = value, at
