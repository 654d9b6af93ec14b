"""`python -m serving run --model ... [rasa run options]`: Rasa's own command line, patched."""
import sys

from serving import action_response_check


def main() -> None:
    action_response_check.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
