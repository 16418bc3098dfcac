"""CPU used by each role of process while a scenario runs, to tell which one saturates the cores."""

import contextlib
import os
import re
import subprocess
import tempfile
import threading
import time

import psutil

# Services found by their process name; what the bench starts is found by the roles it passes.
NAMES = {
    "postgres": "postgres",
    "redis-server": "redis",
    "beam.smp": "rabbitmq",
    "erl_child_setup": "rabbitmq",
    "inet_gethost": "rabbitmq",
    "epmd": "rabbitmq",
    "wrk": "load_generator",
    "hey": "load_generator",
}
# A Postgres backend's title: "postgres: [cluster: ]user database host(port)|[local] activity"
CLIENT = re.compile(r"\(\d+\)|\[local\]")


class CpuSampler:
    """Cores used by each role of process during a ``with`` block, from every process's CPU time, sampled in a
    thread.

    Parameters:
      roles: ``{pid: role}`` of the processes the bench started, read at every sample so that processes
        started inside the block are found. Each has a session of its own, which the gunicorn and dramatiq
        forks inherit: a process has the role of its session id, else of its process name (``NAMES``), else it
        is ``other``.
      database: The bench's Postgres database: backends serving another one (someone else's work) are
        ``other``.
      own: The role of the bench's own process.
      interval: Seconds between samples. A process that exits inside the block loses its CPU time since the
        last one.
    """

    def __init__(self, roles, database=None, own="bench", interval=0.5):
        self.roles, self.database, self.own, self.interval = roles, database, own, interval
        # (pid, create time): [role, CPU seconds when the block began (0 if born inside), latest]
        self.procs = {}
        self.done = threading.Event()

    def __enter__(self):
        self.started, self.machine = time.monotonic(), psutil.cpu_times()
        self.sample(first=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()
        self.sample()
        self.wall = time.monotonic() - self.started
        before, after = self.machine, psutil.cpu_times()
        busy = sum(
            getattr(after, f) - getattr(before, f) for f in ("user", "nice", "system", "irq", "softirq")
        )
        idle = sum(getattr(after, f) - getattr(before, f) for f in ("idle", "iowait", "steal"))
        self.busy = busy / (busy + idle) if busy + idle else 0.0

    def _run(self):
        while not self.done.wait(self.interval):
            self.sample()

    def sample(self, first=False):
        for proc in psutil.process_iter():
            try:
                with proc.oneshot():
                    key, times, role = (proc.pid, proc.create_time()), proc.cpu_times(), self.role(proc)
            except (psutil.Error, OSError):  # gone meanwhile
                continue
            used = times.user + times.system
            entry = self.procs.setdefault(key, [role, used if first else 0.0, used])
            entry[0], entry[2] = role, used

    def role(self, proc):
        if proc.pid == os.getpid():
            return self.own
        role = self.roles.get(os.getsid(proc.pid)) or NAMES.get(proc.name(), "other")
        if role == "postgres" and self.database:
            title = " ".join(proc.cmdline())
            if CLIENT.search(title) and self.database not in title.split():
                return "other"
        return role

    def result(self):
        """Returns:
        ``{"seconds", "busy", "busy_cores", "cores": {role: cores, busiest first}, "top"}``: cores are CPU
        seconds over wall seconds (2.0 = two cores all along); ``busy`` is the fraction of the machine's CPU
        time not idle.
        """
        cores = {}
        for role, began, latest in self.procs.values():
            cores[role] = cores.get(role, 0.0) + (latest - began) / self.wall
        cores = {role: round(c, 2) for role, c in sorted(cores.items(), key=lambda rc: -rc[1]) if c >= 0.005}
        return {
            "seconds": round(self.wall, 2),
            "busy": round(self.busy, 3),
            "busy_cores": round(self.busy * psutil.cpu_count(), 2),
            "cores": cores,
            "top": next(iter(cores), None),
        }


def describe(cpu):
    """One line: how busy the machine was, the cores of each role, and the busiest role."""
    n, top = psutil.cpu_count(), cpu["top"]
    roles = ", ".join(f"{role} {c:.2f}" for role, c in cpu["cores"].items())
    verdict = "saturating" if cpu["busy"] >= 0.9 else "busiest (cores not saturated)"
    return (
        f"cpu: {cpu['busy_cores']:.2f} of {n} cores busy; {roles}; "
        f"{verdict}: {top} {cpu['cores'].get(top, 0):.2f} cores of {n}"
    )


def measure(argvs, sampler, gap=0.0, **popen):
    """Run commands side by side to completion, starting one every ``gap`` seconds, inside ``sampler`` (a
    CpuSampler).

    Returns:
      ``(outputs, cpu)``: each command's output (stdout and stderr) and ``CpuSampler.result()``.
    Raises:
      subprocess.CalledProcessError: a command failed.
    """
    with contextlib.ExitStack() as closing:
        # Files, not pipes: no command blocks on a full one.
        files = [closing.enter_context(tempfile.TemporaryFile()) for _ in argvs]
        with sampler as cpu:
            started, procs = time.monotonic(), []
            for i, (argv, out) in enumerate(zip(argvs, files, strict=True)):
                time.sleep(max(0.0, started + i * gap - time.monotonic()))
                procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, **popen))
            for proc in procs:
                # Wait, but do not reap: until the sampler's last sample, an exited process keeps its CPU
                # times.
                os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        outputs = []
        for argv, proc, out in zip(argvs, procs, files, strict=True):
            proc.wait()
            out.seek(0)
            outputs.append(out.read().decode())
            if proc.returncode:
                raise subprocess.CalledProcessError(proc.returncode, argv, outputs[-1])
    return outputs, cpu.result()
