#!/usr/bin/env bash
# Writes an upgrade fixture with a release's trent binary, driving it with
# the AWS CLI (AWS_DATA_PATH set to a current botocore model).
# usage: make-fixture.sh TRENT_BIN OUTDIR [STORE_DSN]
# It leaves the data directory in OUTDIR and what it recorded in OUTDIR.*;
# upgrade_test.go reads them from testdata/<release>/<engine>/ (see its
# package comment). For PostgreSQL, give a DSN whose search_path names an
# empty schema, then dump it:
#   pg_dump -n SCHEMA --no-owner --no-privileges --inserts --no-comments DB |
#     grep -v '^\\\(un\)\?restrict' | grep -v '^--' | sed "s/SCHEMA/{{schema}}/g" | cat -s
set -euo pipefail
bin=$1; out=$2; store=${3:-}
rm -rf "$out"; mkdir -p "$out"; chmod 700 "$out"
port=47111
args=(server --data-dir "$out" --listen 127.0.0.1:$port --account-id 111122223333 --region us-east-1,eu-west-1 --audit-digest-every 10)
[ -n "$store" ] && args+=(--store "$store")
"$bin" "${args[@]}" > "$out.stdout" 2> "$out.stderr" &
pid=$!
for i in $(seq 1 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
export AWS_SHARED_CREDENTIALS_FILE="$out/credentials" AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
A="/usr/bin/aws --endpoint-url http://127.0.0.1:$port --output json"
acct=111122223333
$A iam create-user --user-name contractor >/dev/null
$A iam create-user --user-name boss --path /admin/ >/dev/null
$A iam create-access-key --user-name contractor > "$out.contractor-key.json"
$A iam put-user-policy --user-name contractor --policy-name kms --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}'
$A iam create-role --role-name app --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$acct:user/contractor\"},\"Action\":\"sts:AssumeRole\"}]}" >/dev/null
key=$($A kms create-key --description fixture --tags TagKey=team,TagValue=infra --query KeyMetadata.KeyId --output text)
$A kms put-key-policy --key-id $key --policy-name default --policy "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"root\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$acct:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Sid\":\"contractor\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::$acct:user/contractor\",\"arn:aws:iam::$acct:role/app\"]},\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\"],\"Resource\":\"*\"}]}"
$A kms create-alias --alias-name alias/fixture --target-key-id $key
$A kms create-grant --key-id $key --grantee-principal arn:aws:iam::$acct:user/contractor --retiring-principal arn:aws:iam::$acct:role/app --operations Encrypt Decrypt --name fixture-grant > "$out.grant.json"
pt=$(mktemp); printf 'hello fixture' > "$pt"
$A kms encrypt --key-id alias/fixture --plaintext fileb://$pt --encryption-context app=fixture --query CiphertextBlob --output text > "$out.ciphertext.b64"
$A kms enable-key-rotation --key-id $key
$A kms rotate-key-on-demand --key-id $key >/dev/null
$A kms encrypt --key-id alias/fixture --plaintext fileb://$pt --encryption-context app=fixture --query CiphertextBlob --output text > "$out.ciphertext2.b64"
ec=$($A kms create-key --key-spec ECC_NIST_P256 --key-usage SIGN_VERIFY --query KeyMetadata.KeyId --output text)
$A kms sign --key-id $ec --message fileb://$pt --message-type RAW --signing-algorithm ECDSA_SHA_256 --query Signature --output text > "$out.signature.b64"
euk=$($A --region eu-west-1 kms create-key --description eu --query KeyMetadata.KeyId --output text)
for i in $(seq 1 12); do $A kms describe-key --key-id $key >/dev/null; done
echo "{\"key\":\"$key\",\"ec\":\"$ec\",\"eu\":\"$euk\"}" > "$out.ids.json"
kill -TERM $pid; wait $pid || true
hargs=(audit head --data-dir "$out"); [ -n "$store" ] && hargs+=(--store "$store")
"$bin" "${hargs[@]}" > "$out.head"
vargs=(audit verify --data-dir "$out"); [ -n "$store" ] && vargs+=(--store "$store")
"$bin" "${vargs[@]}"
