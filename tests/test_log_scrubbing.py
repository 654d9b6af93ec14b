"""Personal data that a library would print reaches no log of a server process (privacy/log_scrubbing.py).

The last test runs a real child process the way the servers start (stdout/stderr wrapped first),
and has it log, warn and print a traceback quoting a citizen's details.
"""
import subprocess
import sys
import textwrap

import pytest

from bookings import manage_links
from privacy.log_scrubbing import ScrubbingStream
from privacy.masking import mask_log_text

SECRETS = ["bram.goossens.89@voorbeeld.be", "0470 12 34 56", "+32470123456", "90.05.17-123.31", "K7M2QX"]


class Sink:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def flush(self):
        pass


def test_log_text_masks_contacts_numbers_codes_and_links():
    token = manage_links.new_token()
    line = "KeyError: " + " ".join(SECRETS) + f" #afspraak={token} " + manage_links.token_hash(token)
    masked = mask_log_text(line)
    for secret in SECRETS + [token, manage_links.token_hash(token)]:
        assert secret not in masked, (secret, masked)


@pytest.mark.parametrize("line", [
    "2026-11-29 11:22:53 INFO     root  - Starting Rasa server on http://127.0.0.1:38821",
    "Exception occurred while handling uri: 'ws://127.0.0.1/socket.io/?EIO=4&sid=r1.UdBFpBL-feKOSLXkAAAA"
    "&t=1795951521.435496'",  # seen masked as a code in a cluster run
    "e-mail written to the outbox as 20261129T112521Z-0412345678ab.eml",  # seen masked as a phone number
])
def test_log_text_leaves_ordinary_lines_alone(line):
    assert mask_log_text(line) == line


def test_a_secret_split_over_two_writes_is_still_masked():
    sink = Sink()
    stream = ScrubbingStream(sink)
    stream.write("contact: bram.goossens")
    stream.write(".89@voorbeeld.be\nnext line\n")
    stream.write("no newline +32470123456")
    stream.flush()
    written = "".join(sink.parts)
    assert "voorbeeld.be" not in written and "470123456" not in written, written
    assert "next line" in written


def test_a_server_process_logs_warnings_and_tracebacks_masked(tmp_path):
    program = textwrap.dedent(f"""
        import logging, sys, traceback, warnings
        from privacy import log_scrubbing
        log_scrubbing.install()
        logging.basicConfig(level=logging.INFO)
        secrets = {SECRETS!r}
        logging.getLogger("library").error("could not handle %s", secrets[0])
        warnings.warn("slot set to " + secrets[1])
        try:
            raise KeyError(" ".join(secrets))
        except KeyError:
            logging.getLogger("library").exception("failed")
            traceback.print_exc()
        print("citizen", secrets[2])
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "could not handle [e-mail]" in output and "Traceback" in output, output
    for secret in SECRETS:
        assert secret not in output, (secret, output)
