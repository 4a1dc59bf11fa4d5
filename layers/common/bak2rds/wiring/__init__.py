"""Builds the adapters a handler needs, from settings and the step's payload.

One module per kind of collaborator, so a handler imports only the adapters it uses (each
costs cold-start time): ``services`` (S3, RDS API, DMS, CloudWatch, SNS, Step Functions),
``sql`` (the target's SQL Server), ``approval`` (the approvals table, key and rules).
"""
