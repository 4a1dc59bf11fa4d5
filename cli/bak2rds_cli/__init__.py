"""The ``bak2rds`` command: check a source, upload backups, follow migrations."""
