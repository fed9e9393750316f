"""Envelope encryption as users do it with boto3: GenerateDataKey under a KMS
key with an encryption context, encrypt a message locally with the plaintext
data key and forget it, store the wrapped data key beside the message, later
Decrypt the wrapped data key and decrypt the message locally.

The local cipher is AES-GCM from the cryptography package when it is
importable (--local-cipher aesgcm, the default when available). Without it
(--local-cipher openssl) the message is encrypted with `openssl enc
-aes-256-ctr` (-aes-128-ctr for 16-byte data keys) and authenticated with
HMAC-SHA256 from Python's hmac module over the AAD, the IV and the
ciphertext (encrypt-then-MAC; the CTR and MAC keys are derived from the data
key with HMAC-SHA256). The -K option puts the key on openssl's command line,
which is acceptable for a test and nothing else.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess

from trentcheck import Checks, key_arn, kms_client, parse_args


def extra_args(p):
    p.add_argument("--local-cipher", choices=("auto", "aesgcm", "openssl"), default="auto")


args = parse_args(__doc__, extra_args)


def have_cryptography():
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        return False
    return True


mode = args.local_cipher
if mode == "auto":
    mode = "aesgcm" if have_cryptography() else "openssl"


class AuthError(Exception):
    pass


if mode == "aesgcm":
    import cryptography
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    print(f"local cipher: AES-GCM from cryptography {cryptography.__version__}")

    def seal(key, message, aad):
        nonce = os.urandom(12)
        return {"nonce": nonce, "ciphertext": AESGCM(key).encrypt(nonce, message, aad)}

    def unseal(key, env, aad):
        try:
            return AESGCM(key).decrypt(env["nonce"], env["ciphertext"], aad)
        except InvalidTag as e:
            raise AuthError("AES-GCM tag mismatch") from e

else:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("local cipher openssl: no openssl on PATH")
    version = subprocess.run([openssl, "version"], check=True, capture_output=True, text=True).stdout.strip()
    print(f"local cipher: {openssl} enc -aes-N-ctr ({version}) + HMAC-SHA256 (Python hmac)")

    def subkeys(key):
        enc = hmac.new(key, b"trent envelope test: ctr key", hashlib.sha256).digest()[: len(key)]
        mac = hmac.new(key, b"trent envelope test: mac key", hashlib.sha256).digest()
        return enc, mac

    def ctr(key, iv, data, decrypt):
        cmd = [openssl, "enc", f"-aes-{len(key) * 8}-ctr", "-K", key.hex(), "-iv", iv.hex()]
        if decrypt:
            cmd.append("-d")
        return subprocess.run(cmd, input=data, check=True, capture_output=True).stdout

    def tag(mac_key, aad, iv, ciphertext):
        return hmac.new(mac_key, len(aad).to_bytes(8, "big") + aad + iv + ciphertext, hashlib.sha256).digest()

    def seal(key, message, aad):
        enc, mac = subkeys(key)
        iv = os.urandom(16)
        ciphertext = ctr(enc, iv, message, decrypt=False)
        return {"nonce": iv, "ciphertext": ciphertext, "tag": tag(mac, aad, iv, ciphertext)}

    def unseal(key, env, aad):
        enc, mac = subkeys(key)
        if not hmac.compare_digest(tag(mac, aad, env["nonce"], env["ciphertext"]), env["tag"]):
            raise AuthError("HMAC-SHA256 tag mismatch")
        return ctr(enc, env["nonce"], env["ciphertext"], decrypt=True)


kms = kms_client(args)
c = Checks(f"envelope ({mode})")

key = kms.create_key(Description="envelope")["KeyMetadata"]["KeyId"]
alias = f"alias/envelope-{mode}"  # one per mode: the modes may share a server
kms.create_alias(AliasName=alias, TargetKeyId=key)
arn = key_arn(args, key)

context = {"app": "boto3-envelope", "record": "42"}
aad = json.dumps(context, sort_keys=True).encode()
message = b"Attack at dawn. " * 64 + os.urandom(257)

# Encrypt: a fresh data key per message.
resp = kms.generate_data_key(KeyId=alias, KeySpec="AES_256", EncryptionContext=context)
c.eq(resp["KeyId"], arn, "GenerateDataKey KeyId")
c.eq(len(resp["Plaintext"]), 32, "GenerateDataKey Plaintext length")
c.check(len(resp["CiphertextBlob"]) > 32, f"GenerateDataKey CiphertextBlob has {len(resp['CiphertextBlob'])} bytes")
c.check(resp["Plaintext"] not in resp["CiphertextBlob"], "the wrapped data key contains the plaintext data key")
sealed = seal(resp["Plaintext"], message, aad)
envelope = {"wrapped_key": resp["CiphertextBlob"], **sealed}
del resp  # the plaintext data key is forgotten
c.check(message[:32] not in envelope["ciphertext"], "the local ciphertext contains the message")

# What gets stored: JSON with base64 fields.
stored = json.dumps({k: base64.b64encode(v).decode() for k, v in envelope.items()})
print(f"stored envelope: {len(stored)} bytes of JSON for a {len(message)}-byte message")
loaded = {k: base64.b64decode(v) for k, v in json.loads(stored).items()}

# Decrypt: unwrap the data key with KMS, then decrypt locally.
dec = kms.decrypt(CiphertextBlob=loaded["wrapped_key"], EncryptionContext=context)
c.eq(dec["KeyId"], arn, "Decrypt KeyId")
c.eq(dec["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT", "Decrypt EncryptionAlgorithm")
c.eq(len(dec["Plaintext"]), 32, "Decrypt Plaintext length")
c.check(unseal(dec["Plaintext"], loaded, aad) == message, "the message decrypted with the unwrapped data key differs")

# Naming the key on Decrypt, by alias, works too.
dec2 = kms.decrypt(CiphertextBlob=loaded["wrapped_key"], EncryptionContext=context, KeyId=alias)
c.eq(dec2["Plaintext"], dec["Plaintext"], "Decrypt(KeyId=alias) Plaintext")

# The local scheme really authenticates: a flipped bit is refused.
bad = dict(loaded, ciphertext=bytes([loaded["ciphertext"][0] ^ 1]) + loaded["ciphertext"][1:])
try:
    unseal(dec["Plaintext"], bad, aad)
    c.check(False, "a tampered local ciphertext decrypted")
except AuthError:
    pass

# The data key is bound to its encryption context.
c.expect_error(
    "Decrypt(wrapped data key) with another encryption context",
    "InvalidCiphertextException",
    kms.decrypt,
    CiphertextBlob=loaded["wrapped_key"],
    EncryptionContext=dict(context, record="43"),
)
c.expect_error(
    "Decrypt(wrapped data key) without its encryption context",
    "InvalidCiphertextException",
    kms.decrypt,
    CiphertextBlob=loaded["wrapped_key"],
)

# The encryption context is a set of pairs: key order does not matter, and
# non-ASCII text (sent as \u escapes by botocore's JSON) binds as itself.
wide = {"tenant": "José", "snow": "☃ 雪", "z": "last", "a": "first", "emoji": "🔑"}
blob = kms.encrypt(KeyId=alias, Plaintext=b"context order", EncryptionContext=wide)["CiphertextBlob"]
reordered = dict(reversed(list(wide.items())))
c.eq(
    kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"],
    b"context order",
    "Decrypt with the same encryption context in another order",
)
c.expect_error(
    "Decrypt with one context value changed (José -> Jose)",
    "InvalidCiphertextException",
    kms.decrypt,
    CiphertextBlob=blob,
    EncryptionContext=dict(wide, tenant="Jose"),
)

# GenerateDataKeyWithoutPlaintext (AES_128): the key is unwrapped only when
# used, then the same envelope round trip.
resp = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_128", EncryptionContext=context)
c.check("Plaintext" not in resp, "GenerateDataKeyWithoutPlaintext returned a Plaintext")
c.eq(resp["KeyId"], arn, "GenerateDataKeyWithoutPlaintext KeyId")
dk = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
c.eq(len(dk), 16, "AES_128 data key length")
env128 = seal(dk, message, aad)
again = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
c.check(unseal(again, env128, aad) == message, "AES_128 envelope round trip")

# NumberOfBytes=32 instead of KeySpec.
resp = kms.generate_data_key(KeyId=arn, NumberOfBytes=32, EncryptionContext=context)
c.eq(len(resp["Plaintext"]), 32, "GenerateDataKey(NumberOfBytes=32) Plaintext length")
env32 = seal(resp["Plaintext"], message, aad)
dk = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
c.check(unseal(dk, env32, aad) == message, "NumberOfBytes=32 envelope round trip")

# Rewrap the data key under another KMS key (key rotation by the user):
# the local ciphertext does not change.
other = kms.create_key(Description="envelope, rewrapped")["KeyMetadata"]["KeyId"]
re = kms.re_encrypt(
    CiphertextBlob=loaded["wrapped_key"],
    SourceEncryptionContext=context,
    DestinationKeyId=other,
    DestinationEncryptionContext=context,
)
c.eq(re["SourceKeyId"], arn, "ReEncrypt SourceKeyId")
c.eq(re["KeyId"], key_arn(args, other), "ReEncrypt KeyId")
c.check("Plaintext" not in re, "ReEncrypt returned a Plaintext")
dk = kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
c.check(unseal(dk, loaded, aad) == message, "the message decrypted with the rewrapped data key differs")

c.finish()
