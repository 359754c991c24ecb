"""Debian's Pebble (Let's Encrypt's test ACME server) for the tests and benches, on 127.0.0.1:
its own TLS certificate made here (a CA and a leaf for 127.0.0.1), its DNS answered by
pebble-challtestsrv with 127.0.0.1 for every name, and its http-01 validation sent to the port
given (the router's HTTP port). Each start makes a new issuing root: read it after starting."""
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from tests.support import free_port
from tests.tls import own_ca_and_leaf

PEBBLE, CHALLTESTSRV = "/usr/bin/pebble", "/usr/bin/pebble-challtestsrv"
MISSING = "pebble is not installed (scripts/prereqs --for-tests installs Debian's pebble package)"


def require_pebble() -> None:
    """A missing Pebble fails the run under CI (make test installs it), else skips."""
    if shutil.which(PEBBLE) and shutil.which(CHALLTESTSRV):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(MISSING)
    pytest.skip(MISSING)


def _server_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """(CA file, certificate file, key file) for Pebble's own HTTPS on 127.0.0.1."""
    pems = own_ca_and_leaf([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))], days=7)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    for path, text in zip(paths, pems):
        path.write_text(text)
    return paths


@dataclass
class Pebble:
    directory_url: str
    ca_bundle: Path  # verifies Pebble's own HTTPS (its API), not the certificates it issues
    management_url: str
    challtestsrv_url: str
    processes: list[subprocess.Popen]

    @classmethod
    def start(cls, work_dir: Path, http_port: int, validity_seconds: int | None = None) -> "Pebble":
        """Pebble validating http-01 on 127.0.0.1:`http_port`; its certificates last
        `validity_seconds` if given (Pebble's default: five years), to test renewals."""
        require_pebble()
        work_dir.mkdir(parents=True, exist_ok=True)
        ca, cert, key = _server_certificate(work_dir)
        dns, api, management, challtestsrv = free_port(), free_port(), free_port(), free_port()
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{api}", "managementListenAddress": f"127.0.0.1:{management}",
            "certificate": str(cert), "privateKey": str(key), "httpPort": http_port, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
        }}
        if validity_seconds is not None:
            config["pebble"]["certificateValidityPeriod"] = validity_seconds
        (work_dir / "pebble.json").write_text(json.dumps(config))
        log = open(work_dir / "pebble.log", "ab")
        processes = [subprocess.Popen(
            [CHALLTESTSRV, "-dns01", f"127.0.0.1:{dns}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", f"127.0.0.1:{challtestsrv}"],
            stdout=log, stderr=subprocess.STDOUT)]
        # Validation at once (not after a random sleep), no nonce refused on purpose, and a name's
        # valid authorization always reused, as Let's Encrypt does for 30 days (Pebble's default
        # reuses half of them at random).
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "100"}
        processes.append(subprocess.Popen([PEBBLE, "-config", str(work_dir / "pebble.json"),
                                           "-dnsserver", f"127.0.0.1:{dns}"], stdout=log, stderr=subprocess.STDOUT, env=env))
        pebble = cls(f"https://127.0.0.1:{api}/dir", ca, f"https://127.0.0.1:{management}",
                     f"http://127.0.0.1:{challtestsrv}", processes)
        try:
            pebble._wait_ready(work_dir / "pebble.log")
        except BaseException:
            pebble.stop()
            raise
        return pebble

    def _get(self, url: str) -> bytes:
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            return response.read()

    def _wait_ready(self, log: Path, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._get(self.directory_url)
                self._challtestsrv("clear-servfail", {"host": "ready.invalid"})
                return
            except OSError:
                exited = [p.args[0] for p in self.processes if p.poll() is not None]
                if exited or time.monotonic() > deadline:
                    raise RuntimeError(f"Pebble did not start ({', '.join(exited) or 'timed out'}):\n"
                                       f"{log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.1)

    def issuing_roots_pem(self) -> str:
        """The root Pebble signs certificates under (new at each start)."""
        return self._get(f"{self.management_url}/roots/0").decode()

    def _challtestsrv(self, action: str, body: dict) -> None:
        request = urllib.request.Request(f"{self.challtestsrv_url}/{action}", data=json.dumps(body).encode(), method="POST")
        urllib.request.urlopen(request, timeout=5).read()

    def servfail(self, hostname: str) -> None:
        """DNS lookups of `hostname` fail (SERVFAIL) until clear_servfail: its validation fails."""
        self._challtestsrv("set-servfail", {"host": hostname})

    def clear_servfail(self, hostname: str) -> None:
        self._challtestsrv("clear-servfail", {"host": hostname})

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
