"""Error handling as boto3 users write it: botocore.exceptions.ClientError
with e.response['Error']['Code'] and e.response['ResponseMetadata']
['HTTPStatusCode']. Where AWS KMS's message is known (recorded from the real
service), the message is checked too."""

import uuid

import botocore.exceptions

from trentcheck import Checks, alias_arn, key_arn, kms_client, parse_args

args = parse_args(__doc__)
kms = kms_client(args)
c = Checks("errors")

key = kms.create_key(Description="errors")["KeyMetadata"]["KeyId"]
arn = key_arn(args, key)
unknown = str(uuid.uuid4())

# NotFoundException.
c.expect_error(
    "DescribeKey(unknown key ID)", "NotFoundException", kms.describe_key,
    message=f"Key '{key_arn(args, unknown)}' does not exist", KeyId=unknown,
)
c.expect_error(
    "Encrypt(unknown key ID)", "NotFoundException", kms.encrypt,
    message=f"Key '{key_arn(args, unknown)}' does not exist", KeyId=unknown, Plaintext=b"x",
)
c.expect_error(
    "DescribeKey(alias/nope)", "NotFoundException", kms.describe_key,
    message=f"Alias {alias_arn(args, 'alias/nope')} is not found.", KeyId="alias/nope",
)
c.expect_error(
    "GenerateDataKey(alias/nope)", "NotFoundException", kms.generate_data_key,
    KeyId="alias/nope", KeySpec="AES_256",
)

# The exception classes boto3 generates from the model match the codes.
try:
    kms.describe_key(KeyId=unknown)
    c.check(False, "DescribeKey(unknown key ID) succeeded")
except kms.exceptions.NotFoundException as e:
    c.check(isinstance(e, botocore.exceptions.ClientError), "kms.exceptions.NotFoundException is not a ClientError")

# InvalidCiphertextException: another context, no context, a changed byte.
blob = kms.encrypt(KeyId=key, Plaintext=b"secret", EncryptionContext={"k": "v"})["CiphertextBlob"]
c.eq(kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"], b"secret", "Decrypt with the right context")
c.expect_error(
    "Decrypt with another encryption context", "InvalidCiphertextException", kms.decrypt,
    message="", CiphertextBlob=blob, EncryptionContext={"k": "w"},
)
c.expect_error(
    "Decrypt without the encryption context", "InvalidCiphertextException", kms.decrypt,
    message="", CiphertextBlob=blob,
)
tampered = blob[:-1] + bytes([blob[-1] ^ 0x01])
c.expect_error(
    "Decrypt of a blob with its last byte changed", "InvalidCiphertextException", kms.decrypt,
    CiphertextBlob=tampered, EncryptionContext={"k": "v"},
)

# ValidationException: 4097 bytes of plaintext (4096 is the limit and works).
c.eq(len(kms.encrypt(KeyId=key, Plaintext=b"\0" * 4096)["CiphertextBlob"]) > 4096, True, "Encrypt of 4096 bytes")
c.expect_error(
    "Encrypt of 4097 bytes", "ValidationException", kms.encrypt,
    message="1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
    "Member must have length less than or equal to 4096",
    KeyId=key, Plaintext=b"\0" * 4097,
)
c.expect_error(
    "GenerateRandom(NumberOfBytes=1025)", "ValidationException", kms.generate_random,
    message="1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
    "Member must have value less than or equal to 1024",
    NumberOfBytes=1025,
)

# GenerateDataKey needs exactly one of KeySpec and NumberOfBytes.
c.expect_error(
    "GenerateDataKey with KeySpec and NumberOfBytes", "ValidationException", kms.generate_data_key,
    KeyId=key, KeySpec="AES_256", NumberOfBytes=32,
)
c.expect_error(
    "GenerateDataKey with neither KeySpec nor NumberOfBytes", "ValidationException", kms.generate_data_key,
    KeyId=key,
)

# DryRun (known to this botocore only through AWS_DATA_PATH):
# DryRunOperationException with HTTP 400 when the call would succeed.
c.expect_error("Encrypt(DryRun=True)", "DryRunOperationException", kms.encrypt, KeyId=key, Plaintext=b"x", DryRun=True)
c.expect_error(
    "Decrypt(DryRun=True)", "DryRunOperationException", kms.decrypt,
    CiphertextBlob=blob, EncryptionContext={"k": "v"}, DryRun=True,
)
c.expect_error(
    "GenerateDataKey(DryRun=True)", "DryRunOperationException", kms.generate_data_key,
    KeyId=key, KeySpec="AES_256", DryRun=True,
)
# DryRunModifiers=['IGNORE_CIPHERTEXT'] exists to skip validating the
# ciphertext, so without it a dry run validates it: the real error.
c.expect_error(
    "Decrypt(DryRun=True) with another context", "InvalidCiphertextException", kms.decrypt,
    CiphertextBlob=blob, EncryptionContext={"k": "w"}, DryRun=True,
)

# DisabledException: a disabled key neither encrypts nor decrypts.
kms.disable_key(KeyId=key)
c.expect_error(
    "Encrypt with a disabled key", "DisabledException", kms.encrypt,
    message=f"{arn} is disabled.", KeyId=key, Plaintext=b"x",
)
c.expect_error(
    "GenerateDataKey with a disabled key", "DisabledException", kms.generate_data_key,
    KeyId=key, KeySpec="AES_256",
)
c.expect_error(
    "Decrypt with a disabled key", "DisabledException", kms.decrypt,
    CiphertextBlob=blob, EncryptionContext={"k": "v"},
)
c.expect_error(
    "Encrypt(DryRun=True) with a disabled key", "DisabledException", kms.encrypt,
    KeyId=key, Plaintext=b"x", DryRun=True,
)
kms.enable_key(KeyId=key)
c.eq(kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"], b"secret", "Decrypt after EnableKey")

# InvalidAliasNameException: alias/aws/ is reserved.
c.expect_error(
    "CreateAlias(alias/aws/x)", "InvalidAliasNameException", kms.create_alias,
    AliasName="alias/aws/x", TargetKeyId=key,
)

# Over HTTPS the certificate is verified: without the test CA (verify=True,
# the system's CAs) the handshake fails.
if args.endpoint.startswith("https://"):
    try:
        kms_client(args, verify=True).list_keys()
        c.check(False, "ListKeys over HTTPS without the test CA succeeded")
    except botocore.exceptions.SSLError as e:
        print(f"HTTPS without the test CA: {type(e).__name__}")

c.finish()
