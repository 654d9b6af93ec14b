"""`python -m serving run --model ... [rasa run options]`: Rasa's own command line, with the
project's server-side fixes and guards installed first."""
import sys

from serving import install


def main() -> None:
    # First of all: sanic.log keeps the streams it finds when it is imported (through Rasa, by
    # http_guard below), so they must already be the masking ones.
    from privacy import log_scrubbing

    log_scrubbing.install()
    from serving.http_guard import api_refusal

    refusal = api_refusal(sys.argv[1:])
    if refusal:
        sys.exit(refusal)
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
