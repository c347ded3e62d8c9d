"""`python -m safetyloop`: the CLI without relying on the console script being on PATH."""

from safetyloop.cli import main

if __name__ == "__main__":
    main()
