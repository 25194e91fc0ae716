// STS with @aws-sdk/client-sts: identities, assumed-role credentials (with their session
// token) that nimbus then verifies, and a signature made with the wrong secret.

import assert from "node:assert/strict";
import { test } from "node:test";

import { DescribeRegionsCommand } from "@aws-sdk/client-ec2";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
} from "@aws-sdk/client-sts";

import { ACCOUNT, OTHER, ec2Client, nimbusNow, rejects, stsClient, unique } from "./lib.mjs";

test("GetCallerIdentity names the account and its root", async () => {
  const id = await stsClient().send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, ACCOUNT);
  assert.equal(id.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  assert.equal(id.UserId, ACCOUNT);
  assert.equal(id.$metadata.httpStatusCode, 200);
  assert.match(id.$metadata.requestId, /\S/);
  // The second key pair belongs to another account.
  const other = await stsClient({ credentials: OTHER }).send(new GetCallerIdentityCommand({}));
  assert.equal(other.Account, OTHER.account);
  assert.equal(other.Arn, `arn:aws:iam::${OTHER.account}:root`);
});

test("AssumeRole credentials act as the role, session token included", async () => {
  const session = unique("js");
  const out = await stsClient().send(
    new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111122223333:role/app/Deployer", RoleSessionName: session, DurationSeconds: 900 }),
  );
  const user = out.AssumedRoleUser;
  assert.equal(user.Arn, `arn:aws:sts::111122223333:assumed-role/Deployer/${session}`);
  assert.match(user.AssumedRoleId, new RegExp(`^AROA[A-Z0-9]+:${session}$`));
  const c = out.Credentials;
  assert.match(c.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.equal(c.SecretAccessKey.length, 40);
  assert.ok(c.SessionToken.length > 0);
  assert.ok(c.Expiration instanceof Date);
  // nimbus's clock, which earlier tests may have moved ahead of this machine's.
  const lifetime = (c.Expiration.getTime() - (await nimbusNow()).getTime()) / 1000;
  assert.ok(lifetime > 890 && lifetime <= 900, `expires in ${lifetime}s`);

  const creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  const id = await stsClient({ credentials: creds }).send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, "111122223333");
  assert.equal(id.Arn, user.Arn);
  assert.equal(id.UserId, user.AssumedRoleId);
  // EC2 takes the same temporary credentials.
  const regions = await ec2Client({ credentials: creds, region: "eu-west-1" }).send(new DescribeRegionsCommand({ RegionNames: ["eu-west-1"] }));
  assert.deepEqual(regions.Regions.map((r) => r.RegionName), ["eu-west-1"]);
  // Without its session token the key is unknown.
  const { sessionToken: _, ...bare } = creds;
  await rejects(stsClient({ credentials: bare }).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
});

test("GetSessionToken credentials cannot ask for another session token", async () => {
  const c = (await stsClient().send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials;
  const sts = stsClient({ credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
  assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT);
  await rejects(sts.send(new GetSessionTokenCommand({})), "AccessDenied", 403);
});

test("a wrong secret gets SignatureDoesNotMatch, an unknown key InvalidClientTokenId", async () => {
  const wrong = stsClient({ credentials: { accessKeyId: "test", secretAccessKey: "not-the-secret" } });
  const err = await rejects(wrong.send(new GetCallerIdentityCommand({})), "SignatureDoesNotMatch", 403);
  assert.match(err.message, /signature we calculated does not match/);
  assert.equal(err.$fault, "client");
  const unknown = stsClient({ credentials: { accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "x" } });
  await rejects(unknown.send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403);
  // EC2 verifies signatures the same way, in its own error format.
  const ec2 = ec2Client({ credentials: { accessKeyId: "test", secretAccessKey: "not-the-secret" } });
  await rejects(ec2.send(new DescribeRegionsCommand({})), "AuthFailure", 401);
});

test("AssumeRole validation answers ValidationError", async () => {
  const err = await rejects(
    stsClient().send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111122223333:role/R", RoleSessionName: "ok", DurationSeconds: 60 })),
    "ValidationError",
    400,
  );
  assert.match(err.message, /durationSeconds/);
});

test("GetFederationToken credentials act as the federated user; GetAccessKeyInfo names a key's account", async () => {
  const name = unique("fed").slice(0, 32);
  const out = await stsClient().send(new GetFederationTokenCommand({ Name: name, DurationSeconds: 7200 }));
  assert.deepEqual(
    { id: out.FederatedUser.FederatedUserId, arn: out.FederatedUser.Arn },
    { id: `${ACCOUNT}:${name}`, arn: `arn:aws:sts::${ACCOUNT}:federated-user/${name}` },
  );
  // The root user asked for two hours and gets one, as at AWS.
  const c = out.Credentials;
  const lifetime = (c.Expiration.getTime() - (await nimbusNow()).getTime()) / 1000;
  assert.ok(lifetime > 3590 && lifetime <= 3600, `expires in ${lifetime}s`);
  const creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  const id = await stsClient({ credentials: creds }).send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, out.FederatedUser.Arn);
  await rejects(stsClient({ credentials: creds }).send(new GetFederationTokenCommand({ Name: "again" })), "AccessDenied", 403);

  const info = (key) => stsClient().send(new GetAccessKeyInfoCommand({ AccessKeyId: key }));
  assert.equal((await info(OTHER.accessKeyId)).Account, OTHER.account);
  assert.equal((await info(c.AccessKeyId)).Account, ACCOUNT);
  assert.equal((await info("ASIAY34FZKBOKMUTVV7A")).Account, "609629065308");
});

test("AssumeRoleWithWebIdentity goes unsigned and trades an OIDC token for the role's credentials", async () => {
  const part = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const exp = Math.floor((await nimbusNow()).getTime() / 1000) + 600;
  const claims = { iss: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", sub: "system:serviceaccount:ci:runner", aud: "sts.amazonaws.com", exp };
  const token = `${part({ alg: "RS256", kid: "k1" })}.${part(claims)}.c2ln`;
  // No credentials at all: the SDK signs nothing for this operation, and nimbus asks for nothing.
  const anonymous = stsClient({ credentials: { accessKeyId: "", secretAccessKey: "" } });
  const out = await anonymous.send(
    new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::222233334444:role/Runner", RoleSessionName: "pod", WebIdentityToken: token }),
  );
  assert.equal(out.AssumedRoleUser.Arn, "arn:aws:sts::222233334444:assumed-role/Runner/pod");
  assert.equal(out.SubjectFromWebIdentityToken, claims.sub);
  assert.equal(out.Audience, claims.aud);
  const c = out.Credentials;
  const id = await stsClient({ credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } })
    .send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, out.AssumedRoleUser.Arn);
  const expired = `${part({ alg: "RS256" })}.${part({ ...claims, exp: 1000000000 })}.c2ln`;
  await rejects(
    anonymous.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: "arn:aws:iam::222233334444:role/Runner", RoleSessionName: "pod", WebIdentityToken: expired })),
    "ExpiredTokenException",
    400,
  );
});
