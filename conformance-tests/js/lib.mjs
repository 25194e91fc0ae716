// Shared helpers: the nimbus under test, real AWS SDK for JavaScript v3 clients, nimbus's
// admin endpoints, and the error checks every test uses.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { STSClient } from "@aws-sdk/client-sts";

// The SDK warns once per process that releases after January 2027 need Node 22; the
// pinned versions run on Node 20, so the warning is noise in the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

export const ENDPOINT = process.env.NIMBUS_ENDPOINT ?? "http://127.0.0.1:4566";
export const ACCOUNT = "000000000000";
export const OTHER = { accessKeyId: "AKIACONFORMANCE00001", secretAccessKey: "conformance/secret/one", account: "111111111111" };
export const CREDS = { accessKeyId: "test", secretAccessKey: "test" };

function config({ region = "us-east-1", credentials = CREDS, ...rest } = {}) {
  // Explicit credentials, region and endpoint: nothing leaks in from the environment or
  // ~/.aws; one attempt, so an error is nimbus's answer and not a retry's.
  return { endpoint: ENDPOINT, region, credentials, maxAttempts: 1, ...rest };
}

export const ec2Client = (opts) => new EC2Client(config(opts));
export const cloudwatchClient = (opts) => new CloudWatchClient(config(opts));
export const stsClient = (opts) => new STSClient(config(opts));

export function unique(prefix) {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export async function admin(method, path, body) {
  const r = await fetch(ENDPOINT + path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : { "content-type": "application/json" },
  });
  return { status: r.status, body: await r.json() };
}

/** nimbus's clock (tests move it forward, so it is not the machine's). */
export async function nimbusNow() {
  const { status, body } = await admin("GET", "/_nimbus/clock");
  assert.equal(status, 200);
  return new Date(body.now);
}

export async function advance(seconds) {
  const { status } = await admin("POST", "/_nimbus/clock", { advanceSeconds: seconds });
  assert.equal(status, 200);
}

/** Awaits a call that must fail with AWS error `code` and HTTP `status`; returns the
 * SDK's error for further checks. The SDK puts the AWS code in `Code` and names the error
 * after the model's exception shape (`name`), the same as the code for EC2 and STS; for
 * CloudWatch (awsQueryCompatible) the shape is often another name, so pass it as `name`. */
export async function rejects(promise, code, status, name = code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${code}, the call succeeded`);
  assert.equal(err.Code, code, `${err.name}: ${err.message}`);
  assert.equal(err.name, name, `${err.name}: ${err.message}`);
  assert.equal(err.$metadata?.httpStatusCode, status);
  return err;
}

/** Waiter settings for nimbus: lifecycles take no real time, so poll fast. */
export function waiter(client) {
  return { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 };
}

export function tagsOf(resource) {
  return Object.fromEntries((resource.Tags ?? []).map((t) => [t.Key, t.Value]));
}
