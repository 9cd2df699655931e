"""``python -m tumorsim``: the command line."""

from tumorsim.cli import main

if __name__ == "__main__":
    main()
