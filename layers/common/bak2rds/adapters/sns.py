"""Status notifications on the project's SNS topic."""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.aws import aws_call

MAX_SUBJECT = 100  # SNS limit for e-mail subjects


class Topic:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        with aws_call("SNS Publish"):
            response = self._sns.publish(
                TopicArn=self._topic_arn,
                Subject=subject[:MAX_SUBJECT],
                Message=message,
                MessageAttributes={
                    name: {"DataType": "String", "StringValue": value}
                    for name, value in attributes.items()
                    if value
                },
            )
        return str(response["MessageId"])
