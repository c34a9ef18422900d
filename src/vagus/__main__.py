"""``python -m vagus``."""

from vagus.cli import main

if __name__ == "__main__":
    main()
