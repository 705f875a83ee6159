"""Find secrets (passwords, session tokens) in files a run wrote: run directories, logs, reports, notebooks.

::

    from secret_scan import scan_tree

    hits = scan_tree(tmp_path, {"password": sim.password, **{f"token{i}": t for i, t in enumerate(sim.issued_tokens())}})
    assert hits == [], hits          # a Hit's repr names the file and the secret's *label*, never the secret

A secret is looked for in the forms it could take on its way to a file: as is, percent-encoded (URLs, query
strings), JSON-escaped, HTML-escaped, and base64 (a ``Basic`` auth header, an embedded blob) at any alignment;
inside ``.gz`` files and ``.zip``-based files (``.zip``, ``.xlsx``, ``.whl``) too. Parquet pages are
Snappy-compressed, which keeps short incompressible strings such as tokens as literal bytes, so the plain search
finds them there as well.
"""

from __future__ import annotations

import base64
import gzip
import html
import io
import json
import os
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

__all__ = ["Hit", "scan_tree", "scan_bytes", "secret_forms", "MIN_SECRET_LENGTH"]

#: shorter strings would match by chance; the project's secrets are 16+ characters
MIN_SECRET_LENGTH = 8

Secrets = Mapping[str, str] | Iterable[str]


@dataclass(frozen=True)
class Hit:
    """One secret found in one file. ``label`` names the secret; the secret itself is never stored here."""

    path: str
    label: str
    form: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path}: {self.label} ({self.form}) at byte {self.offset}"


def _b64_cores(secret: bytes) -> Iterator[tuple[str, bytes]]:
    """The part of base64 text that depends only on ``secret``, for each of the 3 alignments."""
    n = len(secret)
    for k in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            text = encode(b"\0" * k + secret + b"\0\0")
            start = -(-8 * k // 6)  # first character made only of secret bits
            end = (8 * (k + n)) // 6  # characters before this one are fully inside the secret
            core = text[start:end]
            if len(core) >= MIN_SECRET_LENGTH:
                yield f"{name}/{k}", core


def secret_forms(secret: str) -> list[tuple[str, bytes]]:
    """``(form name, bytes)`` for every encoding of ``secret`` the scanner looks for (duplicates removed)."""
    raw = secret.encode("utf-8")
    forms = [
        ("plain", raw),
        ("percent", quote(secret, safe="").encode()),
        ("percent+", quote_plus(secret).encode()),
        ("json", json.dumps(secret)[1:-1].encode()),
        ("json-ascii", json.dumps(secret, ensure_ascii=True)[1:-1].encode()),
        ("html", html.escape(secret).encode()),
        ("utf-16-le", secret.encode("utf-16-le")),
    ]
    forms.extend(_b64_cores(raw))
    seen: set[bytes] = set()
    out = []
    for name, data in forms:
        if data and data not in seen:
            seen.add(data)
            out.append((name, data))
    return out


def _normalise(secrets: Secrets) -> dict[str, str]:
    items = dict(secrets) if isinstance(secrets, Mapping) else {f"secret#{i}": s for i, s in enumerate(secrets)}
    for label, secret in items.items():
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"{label}: a secret to scan for must be a string of at least {MIN_SECRET_LENGTH} "
                "characters (a shorter one would match by chance)"
            )
    return items


def scan_bytes(data: bytes, secrets: Secrets, *, path: str = "<bytes>") -> list[Hit]:
    """Hits of ``secrets`` in ``data`` (and in it decompressed, when it is gzip or zip)."""
    items = _normalise(secrets)
    compiled = {label: secret_forms(secret) for label, secret in items.items()}
    return _scan(data, compiled, path)


def _scan(data: bytes, compiled: Mapping[str, list[tuple[str, bytes]]], path: str, depth: int = 0) -> list[Hit]:
    hits: list[Hit] = []
    lowered = None
    for label, forms in compiled.items():
        for form, needle in forms:
            haystack = data
            if form.startswith("percent"):  # %2F and %2f are the same byte
                lowered = lowered if lowered is not None else data.lower()
                haystack, needle = lowered, needle.lower()
            at = haystack.find(needle)
            if at >= 0:
                hits.append(Hit(path, label, form, at))
                break  # one hit per secret per file is enough to fail; keep the report short
    if depth < 3:
        for inner_name, inner in _unpacked(data):
            hits.extend(_scan(inner, compiled, f"{path}!{inner_name}", depth + 1))
    return hits


def _unpacked(data: bytes) -> Iterator[tuple[str, bytes]]:
    if data[:2] == b"\x1f\x8b":
        try:
            yield "gunzip", gzip.decompress(data)
        except (OSError, EOFError, gzip.BadGzipFile):
            pass
    elif data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if not info.is_dir() and info.file_size < 512 * 1024 * 1024:
                        yield info.filename, archive.read(info)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            pass


def scan_tree(path: str | os.PathLike[str], secrets: Secrets) -> list[Hit]:
    """Every :class:`Hit` of ``secrets`` in every file under ``path`` (or in the file ``path``).

    ``secrets``: ``{label: secret}`` or a list of secrets. Symbolic links are not followed out of the tree.
    An empty list means nothing was found.
    """
    items = _normalise(secrets)
    compiled = {label: secret_forms(secret) for label, secret in items.items()}
    root = Path(path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    hits: list[Hit] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            continue
        hits.extend(_scan(data, compiled, str(file)))
    # file *names* can carry secrets too (a token used as a directory name)
    for file in [root] if root.is_file() else [root, *root.rglob("*")]:
        name = file.name
        for label, secret in items.items():
            if secret in name or quote(secret, safe="") in name:
                hits.append(Hit(str(file), label, "file name", 0))
    return hits
