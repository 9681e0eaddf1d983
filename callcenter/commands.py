"""The helpdesk's own commands (run.py registers them): accounts, demo traffic, report rollups."""

from __future__ import annotations

import click

from config import settings
from config.flow import load_flow
from db import session as db
from db.states import ROLES, Role


@click.command("create-user")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as colleagues know it.")
@click.option("--role", type=click.Choice(list(ROLES)), default=Role.AGENT.value,
              show_default=True)
@click.option("--queues", default="", help="Queues they serve, comma-separated (e.g. general,benefits).")
@click.option("--languages", default="", help="Languages they speak, comma-separated (e.g. en,es).")
@click.option("--phone", default=None, help="Where they take calls (E.164); empty: the browser.")
def create_user_cmd(username: str, name: str, role: str, queues: str, languages: str,
                    phone: str | None) -> None:
    """Add a helpdesk account; prints its one-time password (changed at first sign-in)."""
    from callcenter.accounts.users import AccountError, create_user

    flow = load_flow(settings.IVR_FILE)
    wanted_queues = [q for q in queues.split(",") if q]
    wanted_languages = [code for code in languages.split(",") if code]
    unknown = [q for q in wanted_queues if q not in flow.queues]
    unknown += [code for code in wanted_languages if code not in {lang.code for lang in flow.languages}]
    if unknown:
        raise click.UsageError(f"not in {flow.source}: {', '.join(unknown)}")
    db.configure(settings.database_url())
    with db.SessionLocal() as s:
        try:
            user, otp = create_user(s, username, name, role, queues=wanted_queues,
                                    languages=wanted_languages, phone=phone)
        except AccountError as e:
            raise click.UsageError(str(e)) from None
        s.commit()
        click.echo(f"created {user.username} ({role}); one-time password: {otp}")


@click.command("seed-demo")
@click.option("--days", default=30, show_default=True, help="Days of traffic, ending now.")
@click.option("--calls", default=10_000, show_default=True, help="How many calls in all.")
@click.option("--seed", default=7, show_default=True, help="The same seed gives the same traffic.")
def seed_demo_cmd(days: int, calls: int, seed: int) -> None:
    """Fill the database with realistic demo traffic, so a new user opens a full dashboard.

    A finished day: nothing live is left (advisers offline, no pending callback), every number
    is from a drama range no one answers, and reasons and queue labels come from the flow."""
    from callcenter.demo.seed import seed_demo
    from db.migrate import upgrade

    flow = load_flow(settings.IVR_FILE)
    upgrade(settings.database_url())
    db.configure(settings.database_url())
    with click.progressbar(length=calls, label="Seeding demo calls") as bar:
        done_so_far = [0]

        def progress(done: int, total: int) -> None:
            bar.update(done - done_so_far[0])
            done_so_far[0] = done

        counts = seed_demo(db.SessionLocal, days=days, calls=calls, progress=progress, seed=seed,
                           timezone=flow.hours.timezone, flow=flow)
    click.echo(", ".join(f"{n:,} {table}" for table, n in counts.items()))


@click.command("rollups")
@click.option("--rebuild", is_flag=True, help="Recompute every hour, not only the last 48 h.")
def rollups_cmd(rebuild: bool) -> None:
    """Roll up the reports' settled hours now (the worker does it every ten minutes)."""
    from callcenter.reports.rollups.build import roll_up_reports

    db.configure(settings.database_url())
    click.echo(roll_up_reports(rebuild=rebuild))


helpdesk_commands = [create_user_cmd, seed_demo_cmd, rollups_cmd]
