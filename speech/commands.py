"""`models` commands: install, list and remove Vosk models (run.py registers `models_cli`)."""

from __future__ import annotations

import click

from .install import OFFICIAL, InstallError, install_model, list_models, remove_model


@click.group("models")
def models_cli() -> None:
    """Install, list and remove the offline speech models."""


@models_cli.command("install")
@click.argument("lang")
@click.option("--url", help="Archive URL (default: the official small model for LANG).")
@click.option("--sha256", help="Expected SHA-256 of the archive; refused when it differs.")
def install_cmd(lang: str, url: str | None, sha256: str | None) -> None:
    """Download, verify and install the model for LANG (en, es, fr, ko, ...)."""
    official = OFFICIAL.get(lang)
    fallback = official.size_mb * 1024 * 1024 if official and not url else 0
    with click.progressbar(length=fallback or 1, label=f"Downloading {lang} model") as bar:
        def progress(done: int, total: int | None) -> None:
            if total and bar.length != total:
                bar.length = total
            bar.update(done - bar.pos)

        try:
            result = install_model(lang, url=url, sha256=sha256, progress=progress)
        except InstallError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Installed {lang} model in {result.path} ({result.size / 1e6:.1f} MB).")
    if result.verified:
        click.echo(f"SHA-256 verified: {result.sha256}")
    else:
        click.echo(f"SHA-256 {result.sha256} (not verified: no known hash). Pin it on other "
                   f"workers with: models install {lang} --sha256 {result.sha256}")


@models_cli.command("list")
def list_cmd() -> None:
    """Show each language's model and where it comes from."""
    for entry in list_models():
        where = f"{entry.origin}: {entry.path}" if entry.path else "no model (models install)"
        sha = f"  sha256 {entry.sha256[:12]}..." if entry.sha256 else ""
        click.echo(f"{entry.lang:4} {where}{sha}")


@models_cli.command("remove")
@click.argument("lang")
def remove_cmd(lang: str) -> None:
    """Remove the model installed for LANG in the models folder."""
    if not remove_model(lang):
        raise click.ClickException(
            f"no model installed for {lang!r} in the models folder (models from pip packages "
            "or VOSK_MODEL_* are managed there)"
        )
    click.echo(f"Removed the {lang} model.")
