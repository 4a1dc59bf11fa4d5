"""The ``bak2rds`` command (Typer): check-source, upload, status, show."""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from bak2rds.catalogue import CATALOGUE
from bak2rds_cli import migrations, source, upload
from bak2rds_cli.stack import Stack, StackNotFound, engine_version, from_cloudformation

app = typer.Typer(
    help="Migrate SQL Server backups into Amazon RDS with a bak2rds stack.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
PASSWORD_VARIABLE = "BAK2RDS_SOURCE_PASSWORD"  # noqa: S105 - the variable's name, not a password

StackOption = Annotated[
    str | None, typer.Option("--stack", help="The bak2rds stack (its outputs name the rest).")
]
RegionOption = Annotated[str | None, typer.Option("--region", help="AWS Region of the stack.")]


def _client(service: str, region: str | None) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def _stack(name: str | None, region: str | None) -> Stack | None:
    if name is None:
        return None
    try:
        return from_cloudformation(_client("cloudformation", region), name)
    except StackNotFound as missing:
        console.print(f"[red]✗[/] {escape(str(missing))}")
        raise typer.Exit(2) from None


def _state_machine(stack: Stack | None) -> str:
    if stack is None or not stack.state_machine_arn:
        console.print("[red]✗[/] give --stack: the state machine is one of its outputs")
        raise typer.Exit(2)
    return stack.state_machine_arn


@app.command("check-source")
def check_source(
    server: Annotated[
        str, typer.Option(help="The on-premises SQL Server (host or host\\instance).")
    ],
    database: Annotated[str, typer.Option(help="The database you are about to back up.")],
    user: Annotated[str, typer.Option(help="A login that may read msdb and the catalog.")] = "sa",
    port: Annotated[int, typer.Option(help="TCP port.")] = 1433,
    password_secret: Annotated[
        str | None,
        typer.Option(help="Secrets Manager secret with the password (JSON with 'password')."),
    ] = None,
    region: RegionOption = None,
) -> None:
    """Check the source's prerequisites for a native CDC start point, before the backup.

    The password comes from $BAK2RDS_SOURCE_PASSWORD, --password-secret or a prompt; never
    from an argument. Exit code 0 only when every check passes.
    """
    import pymssql  # noqa: PLC0415 - only this command needs the driver

    password = _source_password(password_secret, region)
    with pymssql.connect(
        server=server,
        user=user,
        password=password,
        database="master",
        port=str(port),
        login_timeout=15,
        timeout=120,
    ) as connection:

        def query(sql: str, params: Any) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql, tuple(params) or None)
                return list(cursor.fetchall())

        checks = source.run_checks(query, database)
    # Names and SQL hold [brackets]: escaped, or Rich would read them as markup
    table = Table(
        title=escape(f"[{database}] on {server}: prerequisites for DMS CDC from a backup")
    )
    for column in ("", "Check", "Found", "Fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        mark = "[green]✓[/]" if check.passed else "[red]✗[/]"
        fix = "" if check.passed else check.fix
        table.add_row(mark, escape(check.name), escape(check.detail), escape(fix))
    console.print(table)
    failed = sum(not c.passed for c in checks)
    console.print(f"{len(checks) - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else 0)


def _source_password(secret: str | None, region: str | None) -> str:
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if secret:
        import json  # noqa: PLC0415

        value = _client("secretsmanager", region).get_secret_value(SecretId=secret)
        return str(json.loads(value["SecretString"])["password"])
    return str(typer.prompt("Source password", hide_input=True))


@app.command("upload")
def upload_command(
    files: Annotated[list[Path], typer.Argument(help="Backup files (every stripe of a set).")],
    database: Annotated[
        str | None, typer.Option(help="Restore as this database (database-name metadata).")
    ] = None,
    stage: Annotated[
        bool, typer.Option("--stage", help="Park a full as a differential's base (staged/).")
    ] = False,
    stack: StackOption = None,
    bucket: Annotated[str | None, typer.Option(help="The staging bucket, without --stack.")] = None,
    prefix: Annotated[str, typer.Option(help="Folder in the bucket.")] = "incoming/",
    workers: Annotated[int, typer.Option(min=1, max=64, help="Parts sent at once.")] = 8,
    follow_seconds: Annotated[
        int, typer.Option(help="How long to look for the migration it starts.")
    ] = 60,
    region: RegionOption = None,
) -> None:
    """Check each file's header here, then upload it with a verified checksum.

    Nothing is sent when any file would be refused (not a SQL Server backup, a log backup,
    taken WITH PASSWORD, newer than the stack's RDS engine).
    """
    deployed = _stack(stack, region)
    target = deployed.bucket if deployed else bucket
    if not target:
        console.print("[red]✗[/] give --stack or --bucket")
        raise typer.Exit(2)
    engine = None
    if deployed and deployed.rds_instance_id:
        engine = engine_version(_client("rds", region), deployed.rds_instance_id)
    checked = []
    for path in files:
        try:
            checked.append(
                upload.inspect(path, engine, (deployed and deployed.rds_instance_id) or "")
            )
        except (upload.Refused, OSError) as refused:
            code = getattr(refused, "code", "")
            what = CATALOGUE[code].action if code in CATALOGUE else ""
            console.print(f"[red]✗ refused, nothing sent:[/] {escape(str(refused))}")
            if what:
                console.print(f"  What to do: {escape(what)}")
            raise typer.Exit(1) from None
    metadata = {"database-name": database} if database else {}
    s3 = _client("s3", region)
    done: list[upload.Uploaded] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        for backup in checked:
            key = upload.object_key(backup.path, prefix, stage)
            bar = progress.add_task(escape(backup.path.name), total=backup.size)
            try:
                done.append(
                    upload.upload_file(
                        s3,
                        backup.path,
                        target,
                        key,
                        metadata,
                        workers=workers,
                        on_bytes=functools.partial(progress.advance, bar),
                    )
                )
            except upload.ChecksumMismatch as mismatch:
                console.print(f"[red]✗ checksum mismatch:[/] {escape(str(mismatch))}")
                raise typer.Exit(1) from None
    for sent in done:
        console.print(
            f"[green]✓[/] {escape(f's3://{sent.bucket}/{sent.key}')} version "
            f"{sent.version_id or '-'}, {sent.parts} part(s), CRC32 {sent.crc32} verified by S3"
        )
    if stage:
        console.print("Staged: it starts nothing; a differential dropped later finds it.")
    elif deployed and deployed.state_machine_arn:
        _follow(deployed, stack or "", done[-1], follow_seconds, region)


def _follow(
    deployed: Stack, stack: str, sent: upload.Uploaded, seconds: int, region: str | None
) -> None:
    sfn = _client("stepfunctions", region)
    deadline = time.monotonic() + seconds
    while True:
        found = migrations.started_by(
            sfn, str(deployed.state_machine_arn), sent.key, sent.version_id
        )
        if found or time.monotonic() >= deadline:
            break
        time.sleep(2)
    if found is None:
        console.print(f"No migration seen yet for it: `bak2rds status --stack {stack}` lists them.")
        return
    console.print(f"Started migration [bold]{escape(found.name)}[/]: {found.console_link}")
    console.print(escape(f"Follow it: bak2rds show {found.name} --stack {stack}"))


@app.command("status")
def status(
    stack: StackOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Refresh every 30 s until Ctrl-C.")
    ] = False,
    region: RegionOption = None,
) -> None:
    """A table of migrations: state, restore %, CDC latency, waiting for approval since."""
    machine = _state_machine(_stack(stack, region))
    sfn = _client("stepfunctions", region)
    if not watch:
        console.print(_status_table(migrations.list_migrations(sfn, machine)))
        return
    with Live(console=console, auto_refresh=False) as live:
        while True:  # Ctrl-C ends it
            live.update(_status_table(migrations.list_migrations(sfn, machine)), refresh=True)
            time.sleep(30)


def _status_table(found: list[migrations.Migration]) -> Table:
    table = Table(title=f"bak2rds migrations ({len(found)})")
    for column in (
        "Migration",
        "Status",
        "State",
        "Restore",
        "CDC latency",
        "Waiting for approval since",
        "Console",
    ):
        table.add_column(column, overflow="fold")
    for m in found:
        table.add_row(
            escape(m.name),
            escape(m.status if not m.error else f"{m.status} {m.error}"),
            escape(m.state),
            f"{m.restore_percent}%" if m.restore_percent is not None else "",
            f"{m.cdc_latency_seconds:g} s" if m.cdc_latency_seconds is not None else "",
            _ago(m.waiting_for_approval_since),
            m.console_link,
        )
    return table


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return ""
    hours = (datetime.now(UTC) - moment).total_seconds() / 3600
    return f"{moment:%Y-%m-%d %H:%M} UTC ({hours:.1f} h)"


@app.command("show")
def show(
    execution: Annotated[str, typer.Argument(help="The migration's execution name or ARN.")],
    stack: StackOption = None,
    region: RegionOption = None,
) -> None:
    """One migration's timeline: each state entered, when, and what its checks reported."""
    machine = _state_machine(_stack(stack, region))
    sfn = _client("stepfunctions", region)
    migration = migrations.find(sfn, machine, execution)
    title = f"{migration.name}: {migration.status} {migration.error or ''}".strip()
    table = Table(title=escape(title))
    for column in ("Entered (UTC)", "State", "Reported"):
        table.add_column(column)
    for step in migrations.timeline(sfn, migration.arn):
        table.add_row(f"{step.entered:%Y-%m-%d %H:%M:%S}", escape(step.name), escape(step.note))
    console.print(table)
    console.print(migration.console_link)
