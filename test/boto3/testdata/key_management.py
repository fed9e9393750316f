"""Key management through boto3: keys with tags, aliases, DescribeKey by
alias, ListKeys over several pages with the paginator, Enable/DisableKey,
tags, UpdateKeyDescription, UpdateAlias, DeleteAlias."""

import datetime

from trentcheck import Checks, alias_arn, key_arn, kms_client, parse_args

args = parse_args(__doc__)
kms = kms_client(args)
c = Checks("key_management")


def sorted_tags(tags):
    return sorted((t["TagKey"], t["TagValue"]) for t in tags)


# CreateKey with tags.
before = datetime.datetime.now(datetime.timezone.utc)
m = kms.create_key(
    Description="boto3 demo",
    Tags=[{"TagKey": "team", "TagValue": "infra"}, {"TagKey": "env", "TagValue": "test"}],
)["KeyMetadata"]
key = m["KeyId"]
print(f"created key {key}")
c.eq(m["Arn"], key_arn(args, key), "CreateKey Arn")
c.eq(m["AWSAccountId"], args.account, "CreateKey AWSAccountId")
c.eq(m["Description"], "boto3 demo", "CreateKey Description")
c.eq(m["KeyState"], "Enabled", "CreateKey KeyState")
c.eq(m["Enabled"], True, "CreateKey Enabled")
c.eq(m["KeyUsage"], "ENCRYPT_DECRYPT", "CreateKey KeyUsage")
c.eq(m["KeySpec"], "SYMMETRIC_DEFAULT", "CreateKey KeySpec")
c.eq(m["KeyManager"], "CUSTOMER", "CreateKey KeyManager")
c.eq(m["Origin"], "AWS_KMS", "CreateKey Origin")
c.eq(m["EncryptionAlgorithms"], ["SYMMETRIC_DEFAULT"], "CreateKey EncryptionAlgorithms")
created = m["CreationDate"]
c.check(
    isinstance(created, datetime.datetime) and abs(created - before) < datetime.timedelta(minutes=5),
    f"CreateKey CreationDate {created!r} is not a time near {before}",
)
c.eq(sorted_tags(kms.list_resource_tags(KeyId=key)["Tags"]), [("env", "test"), ("team", "infra")], "ListResourceTags after CreateKey")

# CreateAlias, DescribeKey through the alias name and the alias ARN.
kms.create_alias(AliasName="alias/boto3-demo", TargetKeyId=key)
for ref in ("alias/boto3-demo", alias_arn(args, "alias/boto3-demo"), key_arn(args, key)):
    d = kms.describe_key(KeyId=ref)["KeyMetadata"]
    c.eq(d["KeyId"], key, f"DescribeKey({ref}) KeyId")
    c.eq(d["Arn"], key_arn(args, key), f"DescribeKey({ref}) Arn")
    c.eq(d["Description"], "boto3 demo", f"DescribeKey({ref}) Description")
    c.eq(d["KeyState"], "Enabled", f"DescribeKey({ref}) KeyState")

aliases = kms.list_aliases(KeyId=key)["Aliases"]
c.eq(
    [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in aliases],
    [("alias/boto3-demo", alias_arn(args, "alias/boto3-demo"), key)],
    "ListAliases(KeyId)",
)

# ListKeys over several pages: 7 keys, Limit 2.
keys = [key]
for i in range(6):
    keys.append(kms.create_key(Description=f"page {i}")["KeyMetadata"]["KeyId"])

first = kms.list_keys(Limit=2)
c.eq(len(first["Keys"]), 2, "ListKeys(Limit=2) number of keys")
c.eq(first.get("Truncated"), True, "ListKeys(Limit=2) Truncated")
c.check(first.get("NextMarker"), "ListKeys(Limit=2) has no NextMarker")
second = kms.list_keys(Limit=2, Marker=first["NextMarker"])
c.check(
    not {k["KeyId"] for k in first["Keys"]} & {k["KeyId"] for k in second["Keys"]},
    "ListKeys pages 1 and 2 overlap",
)

pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}))
print(f"list_keys paginator: {len(pages)} pages of {[len(p['Keys']) for p in pages]} keys")
c.check(len(pages) > 1, f"list_keys paginator returned {len(pages)} page(s), want more than 1")
c.eq(len(pages), 4, "list_keys paginator pages for 7 keys, PageSize 2")
for i, p in enumerate(pages):
    c.check(len(p["Keys"]) <= 2, f"page {i} has {len(p['Keys'])} keys, want at most 2")
    last = i == len(pages) - 1
    c.eq(p.get("Truncated"), not last, f"page {i} Truncated")
    if last:
        c.check("NextMarker" not in p, f"last page has NextMarker {p.get('NextMarker')!r}")
listed = [k["KeyId"] for p in pages for k in p["Keys"]]
c.eq(len(listed), len(set(listed)), "keys listed twice by the paginator")
c.eq(sorted(listed), sorted(keys), "keys listed by the paginator")
for p in pages:
    for k in p["Keys"]:
        c.eq(k["KeyArn"], key_arn(args, k["KeyId"]), "ListKeys KeyArn")

# MaxItems and StartingToken on top of the server's markers.
part = kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2, "MaxItems": 3}).build_full_result()
c.eq(len(part["Keys"]), 3, "list_keys paginator MaxItems=3")
c.check(part.get("NextToken"), "list_keys paginator MaxItems=3 has no NextToken")
rest = kms.get_paginator("list_keys").paginate(
    PaginationConfig={"PageSize": 2, "StartingToken": part["NextToken"]}
).build_full_result()
c.eq(sorted(k["KeyId"] for k in part["Keys"] + rest["Keys"]), sorted(keys), "MaxItems=3 then StartingToken")

# Aliases for several keys, listed with the paginator.
for i, k in enumerate(keys[1:]):
    kms.create_alias(AliasName=f"alias/boto3-page-{i}", TargetKeyId=k)
alias_pages = list(kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
names = [a["AliasName"] for p in alias_pages for a in p["Aliases"]]
c.check(len(alias_pages) > 1, f"list_aliases paginator returned {len(alias_pages)} page(s), want more than 1")
c.eq(len(names), len(set(names)), "aliases listed twice by the paginator")
want_names = {"alias/boto3-demo"} | {f"alias/boto3-page-{i}" for i in range(6)}
c.check(want_names <= set(names), f"list_aliases paginator lacks {sorted(want_names - set(names))}")

# Every character AWS allows in an alias name, and non-ASCII text in a
# description and tags.
odd = "alias/team_a/app-1:prod"
kms.create_alias(AliasName=odd, TargetKeyId=key)
c.eq(kms.describe_key(KeyId=odd)["KeyMetadata"]["KeyId"], key, f"DescribeKey({odd})")
kms.delete_alias(AliasName=odd)
uni = kms.create_key(Description="clé de démo ☃", Tags=[{"TagKey": "équipe", "TagValue": "infra ☃"}])["KeyMetadata"]
c.eq(uni["Description"], "clé de démo ☃", "CreateKey non-ASCII Description")
c.eq(sorted_tags(kms.list_resource_tags(KeyId=uni["KeyId"])["Tags"]), [("équipe", "infra ☃")], "non-ASCII tags")

# DisableKey, EnableKey.
kms.disable_key(KeyId=key)
d = kms.describe_key(KeyId="alias/boto3-demo")["KeyMetadata"]
c.eq((d["Enabled"], d["KeyState"]), (False, "Disabled"), "after DisableKey (Enabled, KeyState)")
kms.enable_key(KeyId=key)
d = kms.describe_key(KeyId="alias/boto3-demo")["KeyMetadata"]
c.eq((d["Enabled"], d["KeyState"]), (True, "Enabled"), "after EnableKey (Enabled, KeyState)")

# Tags: add, overwrite a value, remove.
kms.tag_resource(KeyId=key, Tags=[{"TagKey": "owner", "TagValue": "alice"}, {"TagKey": "env", "TagValue": "prod"}])
c.eq(
    sorted_tags(kms.list_resource_tags(KeyId=key)["Tags"]),
    [("env", "prod"), ("owner", "alice"), ("team", "infra")],
    "ListResourceTags after TagResource",
)
kms.untag_resource(KeyId=key, TagKeys=["team", "owner"])
c.eq(sorted_tags(kms.list_resource_tags(KeyId=key)["Tags"]), [("env", "prod")], "ListResourceTags after UntagResource")

# UpdateKeyDescription.
kms.update_key_description(KeyId=key, Description="described again")
c.eq(kms.describe_key(KeyId=key)["KeyMetadata"]["Description"], "described again", "Description after UpdateKeyDescription")

# UpdateAlias, DeleteAlias.
kms.update_alias(AliasName="alias/boto3-demo", TargetKeyId=keys[1])
c.eq(kms.describe_key(KeyId="alias/boto3-demo")["KeyMetadata"]["KeyId"], keys[1], "DescribeKey(alias) after UpdateAlias")
c.eq(kms.list_aliases(KeyId=key)["Aliases"], [], "ListAliases(first key) after UpdateAlias")
kms.delete_alias(AliasName="alias/boto3-demo")
c.expect_error(
    "DescribeKey(alias/boto3-demo) after DeleteAlias",
    "NotFoundException",
    kms.describe_key,
    message=f"Alias {alias_arn(args, 'alias/boto3-demo')} is not found.",
    KeyId="alias/boto3-demo",
)
c.eq(kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"], "Enabled", "the key after DeleteAlias")

c.finish()
