"""The floor of our stack: a one-command typer app that prints one small pydantic model as JSON."""

import typer
from pydantic import BaseModel, ConfigDict

app = typer.Typer(add_completion=False)


class Small(BaseModel):
    """A stand-in for an assessment with nothing to compute."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    risk: str


@app.command()
def report(name: str) -> None:
    """Print one model."""
    typer.echo(Small(name=name, risk="low").model_dump_json())


if __name__ == "__main__":
    app()
