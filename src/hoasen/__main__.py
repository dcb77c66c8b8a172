"""`python -m hoasen`: the same command line as `hoasen`."""

from hoasen.cli import app

if __name__ == "__main__":  # not when a spawned worker process imports this module again
    app(prog_name="hoasen")
