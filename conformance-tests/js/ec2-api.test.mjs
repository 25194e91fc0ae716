// EC2 with @aws-sdk/client-ec2 beyond the happy path: the SDK's paginators over
// MaxResults/NextToken, and the error codes, HTTP statuses and messages AWS answers.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeImagesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  RunInstancesCommand,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
} from "@aws-sdk/client-ec2";

import { ec2Client, rejects, unique } from "./lib.mjs";

test("paginateDescribeSubnets returns every subnet once, a page at a time", async () => {
  const ec2 = ec2Client({ region: "us-west-2" });
  const tag = unique("js-pages");
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.43.0.0/16" }))).Vpc.VpcId;
  const made = [];
  try {
    for (let i = 0; i < 7; i++) {
      const sub = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `10.43.${i}.0/24`,
          TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "Run", Value: tag }] }],
        }),
      );
      made.push(sub.Subnet.SubnetId);
    }
    const pages = [];
    for await (const page of paginateDescribeSubnets({ client: ec2, pageSize: 5 }, { Filters: [{ Name: "vpc-id", Values: [vpcId] }] })) {
      pages.push(page.Subnets.map((x) => x.SubnetId));
    }
    assert.deepEqual(pages.map((p) => p.length), [5, 2]);
    const seen = pages.flat();
    assert.equal(new Set(seen).size, seen.length, "no subnet twice");
    assert.deepEqual([...seen].sort(), [...made].sort());
    // The same through a tag filter and another page size.
    const byTag = [];
    for await (const page of paginateDescribeSubnets({ client: ec2, pageSize: 6 }, { Filters: [{ Name: "tag:Run", Values: [tag] }] })) {
      byTag.push(page.Subnets.map((x) => x.SubnetId));
    }
    assert.deepEqual(byTag.map((p) => p.length), [6, 1]);
    assert.deepEqual(byTag.flat().sort(), [...made].sort());
    // A paginator over a resource with a default member in every VPC: this VPC's group.
    const groups = [];
    for await (const page of paginateDescribeSecurityGroups({ client: ec2, pageSize: 5 }, { Filters: [{ Name: "vpc-id", Values: [vpcId] }] })) {
      groups.push(...page.SecurityGroups.map((g) => g.GroupName));
    }
    assert.deepEqual(groups, ["default"]);
    // Below the minimum page size AWS refuses.
    await rejects(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 })), "InvalidParameterValue", 400);
    await rejects(ec2.send(new DescribeSubnetsCommand({ MaxResults: 5, NextToken: "garbage" })), "InvalidNextToken", 400);
  } finally {
    for (const id of made) await ec2.send(new DeleteSubnetCommand({ SubnetId: id }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  }
});

test("an unknown VPC id is InvalidVpcID.NotFound, a malformed one InvalidVpcID.Malformed", async () => {
  const ec2 = ec2Client();
  let err = await rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-0123456789abcdef0"] })), "InvalidVpcID.NotFound", 400);
  assert.equal(err.message, "The vpc ID 'vpc-0123456789abcdef0' does not exist");
  assert.equal(err.$fault, "client");
  assert.match(err.$metadata.requestId, /\S/);
  await rejects(ec2.send(new DeleteVpcCommand({ VpcId: "vpc-0123456789abcdef0" })), "InvalidVpcID.NotFound", 400);
  err = await rejects(ec2.send(new DeleteVpcCommand({ VpcId: "not-a-vpc" })), "InvalidVpcID.Malformed", 400);
  assert.equal(err.message, 'Invalid id: "not-a-vpc" (expecting "vpc-...")');
  await rejects(ec2.send(new CreateSubnetCommand({ VpcId: "not-a-vpc", CidrBlock: "10.0.0.0/24" })), "InvalidVpcID.Malformed", 400);
  // A VPC of one region is unknown in another.
  const west = ec2Client({ region: "eu-central-1" });
  const vpcId = (await west.send(new CreateVpcCommand({ CidrBlock: "10.44.0.0/16" }))).Vpc.VpcId;
  try {
    await rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })), "InvalidVpcID.NotFound", 400);
  } finally {
    await west.send(new DeleteVpcCommand({ VpcId: vpcId }));
  }
});

test("DryRun answers DryRunOperation when the call would succeed, and creates nothing", async () => {
  const ec2 = ec2Client({ region: "ca-central-1" });
  const tag = unique("js-dry");
  const err = await rejects(
    ec2.send(new CreateVpcCommand({ CidrBlock: "10.45.0.0/16", DryRun: true, TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Run", Value: tag }] }] })),
    "DryRunOperation",
    412,
  );
  assert.equal(err.message, "Request would have succeeded, but DryRun flag is set.");
  assert.deepEqual((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:Run", Values: [tag] }] }))).Vpcs, []);
  const [image] = (await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023.*-x86_64"] }] }))).Images;
  await rejects(
    ec2.send(new RunInstancesCommand({ ImageId: image.ImageId, InstanceType: "t3.micro", MinCount: 1, MaxCount: 1, DryRun: true })),
    "DryRunOperation",
    412,
  );
});
