"""Structural lint of the Dockerfiles, .dockerignore and requirements.lock (no Docker engine)."""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"

DOCKERFILES = {
    "Dockerfile.ingress": {
        "cmd": ["ingress", "--host", "0.0.0.0", "--port", "8000"],
        "health": "/healthz",
        "port": "8000",
    },
    "Dockerfile.worker": {
        "cmd": ["worker", "--pool", "stripe"],
        "health": "paywave heartbeat --max-age 60",
        "port": "9191",
    },
}
BUILD_TOOLS = ("build-essential", "gcc", "g++", "make", "libpq-dev", "python3-dev", "git")
TEST_ONLY = (
    "pytest",
    "pytest-timeout",
    "testcontainers",
    "openapi-spec-validator",
    "openapi-schema-validator",
    "kubernetes-validate",
    "schemathesis",
    "hypothesis",
    "ruff",
)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [args for instr, args in self.instructions if instr == instruction]

    def last(self, instruction: str) -> str | None:
        found = self.all(instruction)
        return found[-1] if found else None


def parse_dockerfile(path: Path) -> list[Stage]:
    """Instructions per stage, with line continuations joined and comments dropped."""
    logical, buffer = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):  # comment lines inside a continued instruction
            continue
        if line.endswith("\\"):
            buffer += line[:-1].rstrip() + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    assert not buffer, f"{path.name}: dangling line continuation"

    stages: list[Stage] = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        instruction, args = instruction.upper(), args.strip()
        if instruction == "FROM":
            words = [w for w in args.split() if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif instruction == "ARG" and not stages:
            continue  # global build args before the first FROM
        else:
            assert stages, f"{path.name}: {instruction} before FROM"
            stages[-1].instructions.append((instruction, args))
    return stages


def exec_form(args: str) -> list[str]:
    try:
        value = json.loads(args)
    except ValueError:
        pytest.fail(f"not exec (JSON array) form: {args}")
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


@pytest.fixture(scope="module", params=sorted(DOCKERFILES))
def dockerfile(request):
    path = ROOT / request.param
    assert path.exists(), f"{request.param} is missing"
    return request.param, parse_dockerfile(path), DOCKERFILES[request.param]


def test_multi_stage_with_named_builder(dockerfile):
    name, stages, _ = dockerfile
    assert len(stages) >= 2, f"{name}: build in one stage, run in another"
    builder_names = {s.name for s in stages[:-1] if s.name}
    assert builder_names, f"{name}: name the build stage (FROM ... AS builder)"
    copies_from = [a for a in stages[-1].all("COPY") if a.startswith("--from=")]
    assert copies_from, f"{name}: the final stage must take its artefacts from the builder"
    for args in copies_from:
        source = args.split()[0].split("=", 1)[1]
        assert source in builder_names, f"{name}: COPY --from={source} is not a build stage"


def test_base_images_are_pinned_slim_python(dockerfile):
    name, stages, _ = dockerfile
    stage_names = {s.name for s in stages if s.name}
    for stage in stages:
        if stage.base in stage_names:
            continue
        image = stage.base
        assert "$" not in image, f"{name}: pin the base image literally, not through ARG ({image})"
        repo, _, tag = image.split("@")[0].partition(":")
        assert repo in ("python", "docker.io/library/python"), f"{name}: {image}"
        assert tag and tag != "latest", f"{name}: {image} has no pinned tag"
        assert re.fullmatch(r"3\.11\.\d+-slim(-bookworm|-trixie)?", tag), (
            f"{name}: want an exact python:3.11.x-slim-* tag, got {image}"
        )
        if "@" in image:
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", image.split("@")[1]), image


def test_final_stage_runs_as_numeric_non_root_user(dockerfile):
    name, stages, _ = dockerfile
    user = stages[-1].last("USER")
    assert user, f"{name}: the final stage must set USER"
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, f"{name}: USER must be a numeric non-zero uid ({user})"
    assert not gid or (gid.isdigit() and int(gid) != 0), f"{name}: numeric non-zero gid ({user})"
    # Nothing after USER switches back to root.
    after = stages[-1].instructions[
        [i for i, (ins, _) in enumerate(stages[-1].instructions) if ins == "USER"][-1] :
    ]
    assert all(ins != "RUN" for ins, _ in after), f"{name}: no RUN after dropping privileges"


def test_healthcheck_stopsignal_entrypoint_cmd(dockerfile):
    name, stages, expected = dockerfile
    final = stages[-1]
    health = final.last("HEALTHCHECK")
    assert health and not health.upper().startswith("NONE"), f"{name}: HEALTHCHECK missing"
    options, _, command = health.partition("CMD ")
    for option in ("--interval=", "--timeout=", "--retries="):
        assert option in options, f"{name}: HEALTHCHECK {option} missing"
    probe = exec_form(command.strip())
    assert expected["health"] in " ".join(probe), f"{name}: healthcheck {probe}"
    assert "curl" not in probe and "wget" not in probe, f"{name}: slim has no curl/wget"

    assert final.last("STOPSIGNAL") == "SIGTERM", f"{name}: STOPSIGNAL SIGTERM"
    assert exec_form(final.last("ENTRYPOINT") or "null") == ["paywave"]
    assert exec_form(final.last("CMD") or "null") == expected["cmd"]
    assert expected["port"] in " ".join(final.all("EXPOSE")), f"{name}: EXPOSE {expected['port']}"


def test_no_package_caches_and_no_build_tools_in_final_stage(dockerfile):
    name, stages, _ = dockerfile
    for stage in stages:
        env = " ".join(stage.all("ENV"))
        for run in stage.all("RUN"):
            if re.search(r"\bapt-get\b.*\binstall\b", run):
                assert "--no-install-recommends" in run, f"{name}: {run}"
                assert "rm -rf /var/lib/apt/lists/*" in run, (
                    f"{name}: clean the apt lists in the same RUN: {run}"
                )
            if re.search(r"\bapt\b\s+install", run):
                pytest.fail(f"{name}: use apt-get, not apt, in Dockerfiles: {run}")
            if re.search(r"\bpip\b[^&;|]*\binstall\b", run):
                assert "--no-cache-dir" in run or "PIP_NO_CACHE_DIR=1" in env, (
                    f"{name}: pip install without --no-cache-dir: {run}"
                )
    final = stages[-1]
    for run in final.all("RUN"):
        assert not re.search(r"\bpip\b[^&;|]*\binstall\b", run), (
            f"{name}: install Python packages in the builder, copy the result: {run}"
        )
        for tool in BUILD_TOOLS:
            assert not re.search(rf"\binstall\b.*(?<![\w-]){re.escape(tool)}(?![\w-])", run), (
                f"{name}: build tool {tool} in the final stage"
            )


def test_dependencies_come_from_the_lock_only(dockerfile):
    name, stages, _ = dockerfile
    runs = " ".join(r for s in stages[:-1] for r in s.all("RUN"))
    copies = " ".join(c for s in stages[:-1] for c in s.all("COPY"))
    assert "requirements.lock" in copies, f"{name}: COPY requirements.lock into the builder"
    assert re.search(r"pip\b[^&;|]*install\b[^&;|]*-r requirements\.lock", runs), (
        f"{name}: pip install -r requirements.lock"
    )
    for install in re.findall(r"pip\b[^&;|]*install\b[^&;|]*", runs):
        if "requirements.lock" not in install and "uninstall" not in install:
            assert "--no-deps" in install, (
                f"{name}: everything beyond the lock is installed with --no-deps: {install}"
            )


def _dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last matching pattern wins ('!' re-includes). Top-level paths only."""
    allowed = True
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(path, pattern) or pattern == path:
            allowed = negate
    return allowed


def test_build_context_has_what_the_build_copies_and_nothing_secret(dockerfile):
    name, stages, _ = dockerfile
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    include = cfg["options.packages.find"]["include"].split()
    top_level = sorted({p.split(".")[0] for p in include})
    copied = set()
    for stage in stages:
        for args in stage.all("COPY"):
            if args.startswith("--from="):
                continue
            words = [w for w in shlex.split(args) if not w.startswith("--")]
            for source in words[:-1]:
                copied.add(source.rstrip("/"))
    for package in top_level:
        assert package in copied, f"{name}: package {package} (setup.cfg) is not copied"
    readme = cfg["metadata"].get("long_description", "").removeprefix("file:").strip()
    for needed in ("pyproject.toml", "setup.cfg", "requirements.lock", readme):
        assert needed in copied, f"{name}: {needed} is needed to build the wheel"
    for source in copied:
        assert _dockerignore_allows(source), f".dockerignore excludes {source}, which {name} copies"
    for secret in (".env", ".git", ".venv", "tests", "charts", "bench"):
        assert not _dockerignore_allows(secret), f".dockerignore must exclude {secret}"


def test_production_images_hold_no_sandbox(dockerfile):
    """The gateway fakes are development tools (Dockerfile.sandbox builds their own image)."""
    name, stages, _ = dockerfile
    for stage in stages:
        for instruction, args in stage.instructions:
            if instruction in ("COPY", "ADD", "RUN"):
                assert "sandbox" not in args, f"{name}: {instruction} {args} brings a sandbox into the image"


# ---------------------------------------------------------------------------------- the lock


def _lock_pins() -> dict[str, str]:
    pins = {}
    for number, raw in enumerate(LOCK.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!-]*)", line)
        assert match, f"requirements.lock:{number}: not `name==version`: {raw!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock:{number}: {name} pinned twice"
        pins[name] = match.group(2)
    return pins


def test_lock_exists_and_every_line_is_an_exact_pin():
    assert LOCK.exists(), "requirements.lock is missing"
    assert _lock_pins(), "requirements.lock pins nothing"


def test_lock_satisfies_install_requires_and_has_no_test_tools():
    pins = _lock_pins()
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    for line in cfg["options"]["install_requires"].split("\n"):
        if not line.strip():
            continue
        requirement = Requirement(line.strip())
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements.lock lacks {requirement.name} (setup.cfg)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, setup.cfg wants {requirement}"
        )
    for tool in TEST_ONLY:
        assert canonicalize_name(tool) not in pins, f"{tool} is a test tool, not a runtime dependency"
