"""The rq worker class of the platform's workers: a work-horse dies with its worker, and finds
its job's code already imported.

rq forks a work-horse per job and puts it in a process group of its own, so a worker killed
with -9 left its horse running on, unsupervised: a build or rollout nobody watched, still
holding its app's locks, beside the worker a supervisor started again. The kernel kills the
horse when its worker dies instead (PR_SET_PDEATHSIG), and the job's lease lapses (builds/liveness.py).
"""
import ctypes
import os
import signal

from rq.worker import Worker as RqWorker

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:  # the worker died before the call above
        os._exit(1)


class Worker(RqWorker):
    # While Redis is away the worker retries with back-off; rq's cap (60 s) would leave it idle
    # up to a minute after Redis is back.
    max_connection_wait_time = 4.0

    def heartbeat(self, timeout=None, pipeline=None):
        # A Redis that came back empty has forgotten this worker, and a push finding no worker
        # registered is refused ("no build worker is running"): register again.
        if pipeline is None and not self.connection.exists(self.key):
            self.log.warning("Worker %s: Redis had forgotten this worker (restarted empty?); registering again", self.name)
            self.register_birth()
        super().heartbeat(timeout, pipeline)

    def execute_job(self, job, queue):
        # The job's function is imported here, before its work horse is forked, so every later
        # horse finds its module loaded: importing the build and rollout jobs took a third of a
        # second in each horse, on every push, rollback and config change.
        try:
            job.func
        except Exception:  # noqa: BLE001 - the horse imports it again and fails the job with why
            self.log.warning("Worker %s: cannot import %s", self.name, job.func_name)
        super().execute_job(job, queue)

    def main_work_horse(self, job, queue):
        _die_with_parent(self.pid)
        super().main_work_horse(job, queue)
