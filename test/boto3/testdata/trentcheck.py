"""Helpers shared by the boto3 scripts: arguments, the KMS client, checks.

Every script takes --endpoint (the server's URL), --account (its first
account's ID), --region and, over HTTPS, --ca-file (the test CA, given to
boto3 as verify=). Credentials come from AWS_SHARED_CREDENTIALS_FILE.

A script records every failed check, prints it on stderr as it happens, and
exits 1 at the end when any check failed (an unexpected exception exits 1
with its traceback). Output on stdout says what was exercised.
"""

import argparse
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def parse_args(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint", required=True, help="the server's URL")
    p.add_argument("--account", required=True, help="the account ID the credentials belong to")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--ca-file", default="", help="PEM CA bundle for HTTPS (boto3 verify=)")
    if extra is not None:
        extra(p)
    return p.parse_args()


def kms_client(args, verify=None):
    """A KMS client for the server. verify defaults to --ca-file over HTTPS.

    One attempt per call: a server error is seen as it was sent, not retried.
    """
    if verify is None and args.ca_file:
        verify = args.ca_file
    return boto3.client(
        "kms",
        endpoint_url=args.endpoint,
        region_name=args.region,
        verify=verify,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60),
    )


def key_arn(args, key_id):
    return f"arn:aws:kms:{args.region}:{args.account}:key/{key_id}"


def alias_arn(args, name):
    return f"arn:aws:kms:{args.region}:{args.account}:{name}"


class Checks:
    """Collects failed checks; finish() exits 1 if there were any."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.count = 0

    def check(self, cond, msg):
        self.count += 1
        if not cond:
            self.failures.append(msg)
            print(f"FAIL: {msg}", file=sys.stderr, flush=True)
        return bool(cond)

    def eq(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def expect_error(self, what, code, fn, message=None, **kwargs):
        """Calls fn(**kwargs) and checks it raises a ClientError with code,
        HTTP status 400, a request ID and, when given, exactly message.
        Returns the ClientError, or None when fn succeeded."""
        try:
            fn(**kwargs)
        except ClientError as e:
            err = e.response.get("Error", {})
            meta = e.response.get("ResponseMetadata", {})
            self.eq(err.get("Code"), code, f"{what}: e.response['Error']['Code']")
            self.eq(meta.get("HTTPStatusCode"), 400, f"{what} ({err.get('Code')}): HTTPStatusCode")
            self.check(meta.get("RequestId"), f"{what} ({err.get('Code')}): no RequestId in ResponseMetadata {meta!r}")
            if message is not None:
                self.eq(err.get("Message"), message, f"{what} ({err.get('Code')}): e.response['Error']['Message']")
            print(f"{what}: {err.get('Code')} {err.get('Message')!r} (HTTP {meta.get('HTTPStatusCode')})")
            return e
        self.check(False, f"{what}: succeeded, want ClientError {code}")
        return None

    def finish(self):
        if self.failures:
            print(f"{self.name}: {len(self.failures)} of {self.count} checks failed:", file=sys.stderr)
            for f in self.failures:
                print(f"  - {f}", file=sys.stderr)
            sys.exit(1)
        print(f"{self.name}: all {self.count} checks passed")
