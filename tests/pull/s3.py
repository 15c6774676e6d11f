"""A real S3-compatible server on loopback for the tests: moto in server mode."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

logging.getLogger("werkzeug").setLevel(logging.WARNING)

S3_ENV_KEYS = ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


@contextmanager
def s3_server(bucket: str) -> Iterator[dict[str, str]]:
    """Start moto's S3 on 127.0.0.1 (a free port), create ``bucket``; yields the client environment."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL_S3"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
        yield env
    finally:
        server.stop()


def list_keys(env: dict[str, str], bucket: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL_S3"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def clear_fsspec_cache() -> None:
    """Forget cached S3 filesystems (their endpoint comes from the environment at creation)."""
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()
