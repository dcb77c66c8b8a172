"""`python -m hoasen`: the same command line as `hoasen`."""

from hoasen.cli import app

app(prog_name="hoasen")
